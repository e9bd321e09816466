//! Redis's geohash: a position as 26 bits of longitude and 26 of latitude,
//! interleaved into the 52-bit integer a geo set keeps as a member's score,
//! and the arithmetic of a search around a point (the step estimate, the
//! nine boxes, the haversine distance), with Redis's constants and in
//! Redis's order of floating-point operations, so that scores, decoded
//! coordinates and search results are the same bits as 7.0's.

use std::f64::consts::PI;

/// Latitudes beyond these cannot be indexed (the limits of EPSG:900913).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Bits per coordinate in a stored score (2 × 26 = 52 bits).
pub const STEP_MAX: u8 = 26;
/// Earth's quadratic mean radius, as Redis measures every distance with it.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

/// A hash of `step` bits per coordinate (longitude in the odd bit positions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// Redis's "zero" hash marks a neighbour box left out of a search.
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash widened to the 52 bits of a score.
    pub fn align52(&self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The cell a hash names.
#[derive(Clone, Copy, Debug)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

pub const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Spread the low 32 bits of `x` over the even bit positions and those of
/// `y` over the odd ones.
fn interleave64(x: u32, y: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

/// The inverse of [`interleave64`]: even bits in the low half, odd bits in
/// the high half.
fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// C's conversion of a non-negative double to `uint32_t` on x86-64 (through
/// a 64-bit truncation), as the encoder hands its offsets to the interleave.
fn c_double_to_u32(d: f64) -> u32 {
    c_double_to_i64(d) as u32
}

const TWO_63: f64 = (1u64 << 63) as f64;

/// C's `(long long)d` on x86-64: truncation, and the "integer indefinite"
/// value for NaN and anything out of range.
pub fn c_double_to_i64(d: f64) -> i64 {
    if d.is_nan() || !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(uint64_t)d` on x86-64, as Redis turns a score into hash bits:
/// negative scores wrap around, scores from 2^63 on are offset first.
pub fn c_double_to_u64(d: f64) -> u64 {
    if d >= TWO_63 {
        (c_double_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(d) as u64
    }
}

/// Encode a position in the given ranges with `step` bits per coordinate;
/// None outside the indexable area or the ranges.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<HashBits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if !(lat_range.min..=lat_range.max).contains(&latitude)
        || !(long_range.min..=long_range.max).contains(&longitude)
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * scale;
    Some(HashBits {
        bits: interleave64(c_double_to_u32(lat_offset), c_double_to_u32(long_offset)),
        step,
    })
}

/// Encode in the geo set's own ranges (latitude limited to ±85.05°).
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(LONG_RANGE, LAT_RANGE, longitude, latitude, step)
}

/// The cell of a hash in the geo set's ranges (None for the zero hash).
pub fn decode(hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = LAT_RANGE.max - LAT_RANGE.min;
    let long_scale = LONG_RANGE.max - LONG_RANGE.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << hash.step) as f64;
    let part = |i: u32, plus: u64| (u64::from(i) + plus) as f64 / div;
    Some(Area {
        latitude: Range {
            min: LAT_RANGE.min + part(ilato, 0) * lat_scale,
            max: LAT_RANGE.min + part(ilato, 1) * lat_scale,
        },
        longitude: Range {
            min: LONG_RANGE.min + part(ilono, 0) * long_scale,
            max: LONG_RANGE.min + part(ilono, 1) * long_scale,
        },
    })
}

/// The centre of a cell, clamped to the indexable area: `[longitude, latitude]`.
fn area_center(area: &Area) -> [f64; 2] {
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// The position a score stands for, as Redis decodes any score (every
/// double decodes to some point: stray bits push it to the edges).
pub fn decode_score(score: f64) -> [f64; 2] {
    let hash = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    decode(hash).map_or([0.0, 0.0], |a| area_center(&a))
}

/// The score GEOADD stores for a valid position.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|h| h.align52())
}

/// The standard 11-character geohash of a stored score (latitude range ±90,
/// the last character always '0': a score has only 52 bits).
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score);
    let standard_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let hash = encode(LONG_RANGE, standard_lat, lon, lat, 26)?;
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        let idx = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let zz = 0x5555555555555555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaaaaaaaaaaaaaau64 >> shift;
    hash.bits = x | y;
}

fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let zz = 0xaaaaaaaaaaaaaaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555555555555555u64 >> shift;
    hash.bits = x | y;
}

/// The eight cells around a hash, by compass direction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbours {
    pub north: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub south: HashBits,
    pub north_east: HashBits,
    pub south_east: HashBits,
    pub north_west: HashBits,
    pub south_west: HashBits,
}

fn neighbours(hash: HashBits) -> Neighbours {
    let moved = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbours {
        east: moved(1, 0),
        west: moved(-1, 0),
        south: moved(0, -1),
        north: moved(0, 1),
        north_west: moved(-1, 1),
        north_east: moved(1, 1),
        south_east: moved(1, -1),
        south_west: moved(-1, -1),
    }
}

/// Bits of precision for boxes about the size of a search of this radius.
fn estimate_steps_by_radius(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    // Make sure the range is included in most of the base cases.
    step -= 2;
    // Wider range towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

fn deg_rad(ang: f64) -> f64 {
    ang * (PI / 180.0)
}

fn rad_deg(ang: f64) -> f64 {
    ang / (PI / 180.0)
}

/// What a search covers around its centre.
#[derive(Clone, Copy, Debug)]
pub enum Extent {
    /// BYRADIUS: a radius in the unit.
    Radius(f64),
    /// BYBOX: width and height in the unit.
    Box { width: f64, height: f64 },
}

/// A search area: centre `[longitude, latitude]`, extent in some unit, and
/// that unit's size in meters.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub center: [f64; 2],
    pub extent: Extent,
    pub conversion: f64,
}

impl Shape {
    /// `[min longitude, min latitude, max longitude, max latitude]` of the
    /// area (the edges of a box bend with the meridians, so the wider edge counts).
    fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.center;
        let (half_height, half_width) = match self.extent {
            Extent::Radius(r) => (r, r),
            Extent::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - long_delta,
            latitude - lat_delta,
            longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The distance from the centre to a point if the point lies inside.
    pub fn contains(&self, point: [f64; 2]) -> Option<f64> {
        let [x1, y1] = self.center;
        let [x2, y2] = point;
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(x1, y1, x2, y2);
                (d <= r * self.conversion).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                // The latitude distance is the cheaper one: tested first.
                if lat_distance(y2, y1) > height_m / 2.0 {
                    return None;
                }
                if distance(x2, y2, x1, y2) > width_m / 2.0 {
                    return None;
                }
                Some(distance(x1, y1, x2, y2))
            }
        }
    }

    /// The cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE,
    /// SW), zero hashes for those the area cannot reach.
    pub fn search_boxes(&self) -> [HashBits; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let [longitude, latitude] = self.center;
        let radius_meters = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = estimate_steps_by_radius(radius_meters, latitude);
        let cells = |steps: u8| {
            let hash = encode_wgs84(longitude, latitude, steps).unwrap_or_default();
            let area = decode(hash);
            (hash, neighbours(hash), area)
        };
        let (mut hash, mut n, mut area) = cells(steps);
        // Near the edge of its cell the estimated step may leave part of the
        // area outside the nine boxes: one step coarser then.
        let reaches_beyond = {
            let (north, south) = (decode(n.north), decode(n.south));
            let (east, west) = (decode(n.east), decode(n.west));
            north.is_some_and(|a| a.latitude.max < max_lat)
                || south.is_some_and(|a| a.latitude.min > min_lat)
                || east.is_some_and(|a| a.longitude.max < max_lon)
                || west.is_some_and(|a| a.longitude.min > min_lon)
        };
        if steps > 1 && reaches_beyond {
            steps -= 1;
            (hash, n, area) = cells(steps);
        }
        // Leave out the boxes the area does not reach.
        if steps >= 2 {
            if let Some(area) = area {
                let zero = HashBits::default();
                if area.latitude.min < min_lat {
                    n.south = zero;
                    n.south_west = zero;
                    n.south_east = zero;
                }
                if area.latitude.max > max_lat {
                    n.north = zero;
                    n.north_east = zero;
                    n.north_west = zero;
                }
                if area.longitude.min < min_lon {
                    n.west = zero;
                    n.south_west = zero;
                    n.north_west = zero;
                }
                if area.longitude.max > max_lon {
                    n.east = zero;
                    n.south_east = zero;
                    n.north_east = zero;
                }
            }
        }
        [
            hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ]
    }
}

/// The score range `[min, max)` of the members inside a cell.
pub fn score_range(hash: HashBits) -> (u64, u64) {
    let min = hash.align52();
    let next = HashBits {
        bits: hash.bits + 1,
        step: hash.step,
    };
    (min, next.align52())
}

/// The distance along a meridian between two latitudes.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// The haversine great-circle distance in meters.
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // The same longitude: the distance along the meridian, without the trigonometry.
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        let v = interleave64(0x0123_4567, 0x89ab_cdef);
        assert_eq!(deinterleave64(v), 0x89ab_cdef_0123_4567);
    }

    #[test]
    fn palermo_scores_as_redis() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores this score.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        let [lon, lat] = decode_score(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&geohash_string(3479099956230698.0).unwrap(), b"sqc8b49rny0");
    }

    #[test]
    fn palermo_catania_distance() {
        let [a, b] = decode_score(3479099956230698.0);
        let [c, d] = decode_score(3479447370796909.0);
        assert_eq!(format!("{:.4}", distance(a, b, c, d)), "166274.1516");
    }
}
