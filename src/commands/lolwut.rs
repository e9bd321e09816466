//! LOLWUT [VERSION v] [args]: 7.0's computer art. Version 5 draws Georg
//! Nees' Schotter in Braille characters, version 6 a skyline in ANSI colours,
//! anything else (7.0's default) just names the version. The randomness
//! libc's `rand()` gives Redis comes from the node's seeded generator.

use super::{arg_i64, def, eq_ignore_case, flags::*, CmdResult, CommandDef, Ctx};
use crate::rng::Rng;
use crate::REDIS_VERSION;
use bytes::Bytes;

/// libc's `RAND_MAX`.
const RAND_MAX: u64 = (1 << 31) - 1;

/// `rand()`: a uniform integer in [0, RAND_MAX].
fn rand(rng: &mut Rng) -> i64 {
    (rng.next_u64() >> 33) as i64
}

/// A grid of small colour indexes (lwCanvas).
struct Canvas {
    width: i64,
    height: i64,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i64, height: i64, bg: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![bg; (width * height) as usize],
        }
    }

    fn draw(&mut self, x: i64, y: i64, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i64, y: i64) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham, as lwDrawLine.
    fn line(&mut self, (mut x1, mut y1): (i64, i64), (x2, y2): (i64, i64), color: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.draw(x1, y1, color);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// lwDrawSquare: a square of side `size` centred at (x, y), rotated.
    fn square(&mut self, x: i64, y: i64, size: f32, angle: f32, color: u8) {
        // C divides in double precision, then rounds.
        let size = (f64::from(size) / std::f64::consts::SQRT_2).round() as f32;
        let mut k = std::f32::consts::FRAC_PI_4 + angle;
        let mut p = [(0, 0); 4];
        for pt in p.iter_mut() {
            *pt = (
                (k.sin() * size + x as f32).round() as i64,
                (k.cos() * size + y as f32).round() as i64,
            );
            k += std::f32::consts::FRAC_PI_2;
        }
        for j in 0..4 {
            self.line(p[j], p[(j + 1) % 4], color);
        }
    }
}

/// lwDrawSchotter: rows of squares, more disordered further down.
fn schotter(rng: &mut Rng, cols: i64, per_row: i64, per_col: i64) -> Canvas {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32) as i64 + padding * 2;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut angle = 0.0;
            if y > 1 {
                let mut r =
                    [0; 3].map(|_| rand(rng) as f32 / RAND_MAX as f32 / per_col as f32 * y as f32);
                for v in r.iter_mut() {
                    if rand(rng) % 2 == 1 {
                        *v = -*v;
                    }
                }
                angle = r[0];
                // C adds a float to an int and truncates.
                sx = (sx as f32 + r[1] * side / 3.0) as i64;
                sy = (sy as f32 + r[2] * side / 3.0) as i64;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    canvas
}

/// Version 5's rendering: 2x4 pixels per Braille character.
fn render_braille(c: &Canvas) -> String {
    let mut text = String::new();
    let mut y = 0;
    while y < c.height {
        let mut x = 0;
        while x < c.width {
            let bits = [
                (x, y),
                (x, y + 1),
                (x, y + 2),
                (x + 1, y),
                (x + 1, y + 1),
                (x + 1, y + 2),
                (x, y + 3),
                (x + 1, y + 3),
            ];
            let byte = bits
                .iter()
                .enumerate()
                .filter(|(_, &(px, py))| c.get(px, py) != 0)
                .fold(0u32, |b, (i, _)| b | 1 << i);
            text.push(char::from_u32(0x2800 + byte).unwrap_or(' '));
            x += 2;
        }
        if y != c.height - 1 {
            text.push('\n');
        }
        y += 4;
    }
    text
}

fn lolwut5(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut p = [66, 8, 12];
    for (v, a) in p.iter_mut().zip(args) {
        *v = arg_i64(a)?;
    }
    let cols = p[0].clamp(1, 1000);
    let per_row = p[1].clamp(1, 200);
    let per_col = p[2].clamp(1, 200);
    let canvas = schotter(&mut ctx.srv.rng, cols, per_row, per_col);
    let text = format!(
        "{}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n",
        render_braille(&canvas)
    );
    ctx.out().verbatim(text.as_bytes());
    Ok(())
}

/// generateSkyscraper: a building from the bottom, windows in random greys.
struct Skyscraper {
    xoff: i64,
    width: i64,
    height: i64,
    windows: bool,
    color: u8,
}

fn skyscraper(rng: &mut Rng, c: &mut Canvas, s: &Skyscraper) {
    let starty = c.height - 1;
    let endy = starty - s.height + 1;
    let mut y = starty;
    while y >= endy {
        for x in s.xoff..s.xoff + s.width {
            if y == endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2) {
                continue;
            }
            let mut color = s.color;
            if s.windows
                && x > s.xoff + 1
                && x < s.xoff + s.width - 2
                && y > endy + 1
                && y < starty - 1
            {
                let relx = x - (s.xoff + 1);
                let rely = y - (endy + 1);
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    loop {
                        color = 1 + (rand(rng) % 2) as u8;
                        if color != s.color {
                            break;
                        }
                    }
                    if relx % 2 != 0 {
                        color = c.get(x - 1, y);
                    }
                }
            }
            c.draw(x, y, color);
        }
        y -= 1;
    }
}

fn skyline(rng: &mut Rng, c: &mut Canvas) {
    let h = c.height;
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < c.width {
            offset += rand(rng) % 8;
            let width = 10 + rand(rng) % 9;
            // C's `rand()%h/2` is `(rand()%h)/2`.
            let height = if color == 2 {
                h / 2 + rand(rng) % h / 2
            } else {
                h / 2 + rand(rng) % h / 3
            };
            let s = Skyscraper {
                xoff: offset,
                width,
                height,
                windows: false,
                color,
            };
            skyscraper(rng, c, &s);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < c.width {
        offset += rand(rng) % 8;
        let mut width = 5 + rand(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + rand(rng) % h / 2;
        let s = Skyscraper {
            xoff: offset,
            width,
            height,
            windows: true,
            color: 0,
        };
        skyscraper(rng, c, &s);
        offset += width + 5;
    }
}

/// Version 6's rendering: one space per pixel, foreground and background set.
fn render_ansi(c: &Canvas) -> String {
    let mut text = String::new();
    for y in 0..c.height {
        for x in 0..c.width {
            let ce = match c.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            text.push_str(&format!("\x1b[{ce} \x1b[0m"));
        }
        if y != c.height - 1 {
            text.push('\n');
        }
    }
    text
}

fn lolwut6(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut p = [80, 20];
    for (v, a) in p.iter_mut().zip(args) {
        *v = arg_i64(a)?;
    }
    let (cols, rows) = (p[0].clamp(1, 1000), p[1].clamp(1, 1000));
    let mut canvas = Canvas::new(cols, rows, 3);
    skyline(&mut ctx.srv.rng, &mut canvas);
    let text = format!(
        "{}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n",
        render_ansi(&canvas)
    );
    ctx.out().verbatim(text.as_bytes());
    Ok(())
}

fn lolwut(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut version = REDIS_VERSION.to_string();
    let mut rest = &args[1..];
    if args.len() >= 3 && eq_ignore_case(&args[1], "version") {
        // C prints the long as an unsigned int.
        version = format!("{}.0.0", arg_i64(&args[2])? as u32);
        rest = &args[3..];
    }
    let v = version.as_bytes();
    // "5.x" but not "5.9", or "4.9": version 5; "6.x" but not "6.9", or "5.9": version 6.
    let minor_nine = v[2] == b'9';
    let dot = v[1] == b'.';
    if dot && ((v[0] == b'5' && !minor_nine) || (v[0] == b'4' && minor_nine)) {
        lolwut5(ctx, rest)
    } else if dot && ((v[0] == b'6' && !minor_nine) || (v[0] == b'5' && minor_nine)) {
        lolwut6(ctx, rest)
    } else {
        let text = format!("Redis ver. {REDIS_VERSION}\n");
        ctx.out().verbatim(text.as_bytes());
        Ok(())
    }
}

pub static COMMANDS: &[CommandDef] = &[def(
    "lolwut",
    -1,
    READONLY | FAST,
    (0, 0, 0),
    "server",
    "5.0.0",
    "Display some computer art and the Redis version",
    lolwut,
)];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk_body, err, Kit};

    #[test]
    fn versions_and_shapes() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "LOLWUT"), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(
            k.cmd(1, "LOLWUT VERSION 7"),
            "$18\r\nRedis ver. 7.0.15\n\r\n"
        );
        let v5 = k.cmd(1, "LOLWUT VERSION 5 10 2 2");
        let body = bulk_body(&v5);
        let lines: Vec<&str> = body.lines().collect();
        // 10 columns: 20 pixels, 2 squares of 8 pixels, 20 pixels tall
        // (5 lines of 4 pixels; the last newline is not skipped, as in 7.0).
        assert_eq!(lines.len(), 7);
        assert!(lines[..5].iter().all(|l| l.chars().count() == 10));
        assert_eq!(lines[5], "");
        assert_eq!(
            lines[6],
            "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15"
        );
        let v6 = k.cmd(1, "LOLWUT VERSION 6 3 2");
        let body = bulk_body(&v6);
        assert_eq!(body.lines().count(), 4);
        assert_eq!(body.lines().next().unwrap().matches("\x1b[0m").count(), 3);
        assert!(body
            .ends_with("Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n"));
        assert_eq!(
            k.cmd(1, "LOLWUT VERSION x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            k.cmd(1, "LOLWUT VERSION 5 x"),
            err("ERR value is not an integer or out of range")
        );
    }
}
