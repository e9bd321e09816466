//! The generator behind a script's `math.random` (Redis's rand.c: the
//! 48-bit linear congruential `rand48` family), so scripts draw the same
//! numbers on every platform. 7.0 never reseeds it between scripts: the
//! sequence goes on from one script to the next, from the fixed initial
//! state, until a script calls `math.randomseed`.

const MASK: u64 = (1 << 48) - 1;
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
/// `REDIS_LRAND48_MAX`.
pub const LRAND48_MAX: i32 = i32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rand48(u64);

impl Default for Rand48 {
    /// The state rand.c starts from (X2 X1 X0 = 0x1234 0xABCD 0x330E).
    fn default() -> Self {
        Rand48(0x1234_ABCD_330E)
    }
}

impl Rand48 {
    /// redisSrand48: the seed's 32 bits above the fixed low word.
    pub fn seed(seed: i32) -> Rand48 {
        Rand48(((seed as u32 as u64) << 16) | 0x330E)
    }

    /// redisLrand48: the next 31-bit value.
    pub fn next_i32(&mut self) -> i32 {
        self.0 = (A.wrapping_mul(self.0).wrapping_add(C)) & MASK;
        (self.0 >> 17) as i32
    }

    /// What `math.random()` with no argument returns, in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_i32() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libc_lrand48() {
        // The first values of lrand48() from the default state (glibc).
        let mut r = Rand48::default();
        assert_eq!(r.next_i32(), 851401618);
        assert_eq!(r.next_i32(), 1804928587);
        // srand48(0) then lrand48().
        let mut r = Rand48::seed(0);
        assert_eq!(r.next_i32(), 366850414);
    }
}
