//! LZF, the compression Redis uses for long strings in RDB files (liblzf's
//! format). The compressor is a plain greedy one with a 3-byte hash; any valid
//! LZF stream decompresses the same, so it need not match liblzf byte for byte.
//!
//! Stream format: a control byte `c`. If `c < 32`, `c + 1` literal bytes
//! follow. Otherwise it is a back reference: length `c >> 5` (7 means "plus
//! the next byte"), then the low byte of the offset; the match is
//! `length + 2` bytes long, starting `((c & 0x1f) << 8 | low) + 1` bytes back.

const HLOG: u32 = 14;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 32;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn hash3(p: &[u8]) -> usize {
    let v = (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32;
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

/// Compress `input`; `None` if the output would not fit in `max_out` bytes
/// (liblzf's `lzf_compress` returning 0).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(max_out.min(n + n / 16 + 64));
    let mut table = vec![usize::MAX; HSIZE];
    // Position in `out` of the current literal run's control byte.
    let mut lit_start: Option<usize> = None;
    let mut ip = 0usize;

    fn push_literal(out: &mut Vec<u8>, lit_start: &mut Option<usize>, b: u8) {
        match *lit_start {
            Some(pos) if (out[pos] as usize) < MAX_LIT - 1 => {
                out[pos] += 1;
                out.push(b);
            }
            _ => {
                *lit_start = Some(out.len());
                out.push(0);
                out.push(b);
            }
        }
    }

    while ip < n {
        let mut matched = false;
        if ip + 2 < n {
            let h = hash3(&input[ip..]);
            let cand = table[h];
            table[h] = ip;
            if cand != usize::MAX && cand < ip && ip - cand <= MAX_OFF {
                let off = ip - cand - 1;
                if input[cand..cand + 3] == input[ip..ip + 3] {
                    let maxlen = (n - ip).min(MAX_REF);
                    let mut len = 3;
                    while len < maxlen && input[cand + len] == input[ip + len] {
                        len += 1;
                    }
                    let l = len - 2;
                    if l < 7 {
                        out.push(((l as u8) << 5) | (off >> 8) as u8);
                    } else {
                        out.push((7u8 << 5) | (off >> 8) as u8);
                        out.push((l - 7) as u8);
                    }
                    out.push(off as u8);
                    lit_start = None;
                    // Index the positions the match covered (cheaply: a few).
                    let end = ip + len;
                    let mut p = ip + 1;
                    while p < end && p + 2 < n {
                        table[hash3(&input[p..])] = p;
                        p += 1;
                    }
                    ip = end;
                    matched = true;
                }
            }
        }
        if !matched {
            push_literal(&mut out, &mut lit_start, input[ip]);
            ip += 1;
        }
        if out.len() > max_out {
            return None;
        }
    }
    Some(out)
}

/// Decompress exactly `out_len` bytes; an error text on any inconsistency.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if ip + run > input.len() {
                return Err("LZF literal run past end of input");
            }
            if out.len() + run > out_len {
                return Err("LZF output longer than declared");
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                let Some(&b) = input.get(ip) else {
                    return Err("LZF back reference past end of input");
                };
                len += b as usize;
                ip += 1;
            }
            let Some(&low) = input.get(ip) else {
                return Err("LZF back reference past end of input");
            };
            ip += 1;
            let back = ((ctrl & 0x1f) << 8 | low as usize) + 1;
            let len = len + 2;
            if back > out.len() {
                return Err("LZF back reference before start of output");
            }
            if out.len() + len > out_len {
                return Err("LZF output longer than declared");
            }
            let start = out.len() - back;
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err("LZF output shorter than declared");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        if let Some(c) = compress(data, data.len() * 2 + 16) {
            assert_eq!(decompress(&c, data.len()).unwrap(), data);
        }
    }

    #[test]
    fn roundtrips() {
        roundtrip(b"a");
        roundtrip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        roundtrip(b"hello hello hello hello hello world world world");
        let mut s = 0x1234_5678u64;
        let rnd: Vec<u8> = (0..5000)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 59) as u8 + b'a'
            })
            .collect();
        roundtrip(&rnd);
        let long: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        roundtrip(&long);
        let zeros = vec![0u8; 70_000];
        roundtrip(&zeros);
    }

    #[test]
    fn compresses_repetition() {
        let data = vec![b'x'; 1000];
        let c = compress(&data, 996).unwrap();
        assert!(c.len() < 20, "{}", c.len());
        assert!(compress(b"abcdefghijklmnopqrstuvwxyz", 22).is_none());
    }

    #[test]
    fn bad_streams_are_errors() {
        assert!(decompress(&[0x05, b'a'], 6).is_err());
        assert!(decompress(&[0x20, 0x00], 3).is_err());
        assert!(decompress(&[0x00, b'a', 0x20, 0x00], 100).is_err());
        assert!(decompress(&[0x00, b'a', 0xe0], 100).is_err());
        assert!(decompress(&[0x00, b'a', 0x20, 0x00], 2).is_err());
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x00], 4).unwrap(), b"aaaa");
    }
}
