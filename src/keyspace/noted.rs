//! Which of a server's databases may have after-command work pending
//! (see [`super::Db::notes`]): one bit per database, shared by all of them,
//! set as a database records a note. The server looks at the marked
//! databases only, instead of passing over all of them after every command.
//!
//! A set bit means "look here" (the work may already be done); a clear bit
//! means there is none. Database 63 and the ones after it share bit 63.

use std::cell::Cell;
use std::rc::Rc;

/// A database's handle on the shared marks: the cell and its own bit.
#[derive(Clone, Debug)]
pub struct NoteMark {
    marks: Rc<Cell<u64>>,
    bit: u64,
}

impl Default for NoteMark {
    /// A database on its own (tests, a file being decoded): its own marks.
    fn default() -> Self {
        NoteMark::new(Rc::default(), 0)
    }
}

impl NoteMark {
    /// The mark of database `index` in `marks`.
    pub fn new(marks: Rc<Cell<u64>>, index: usize) -> Self {
        NoteMark {
            marks,
            bit: bit_of(index),
        }
    }

    /// This database has work pending.
    #[inline]
    pub fn set(&self) {
        self.marks.set(self.marks.get() | self.bit);
    }

    /// SWAPDB: two databases trade places, and so their bits; both are
    /// marked (what they hold is to be looked at in its new place).
    pub fn swap(a: &mut NoteMark, b: &mut NoteMark) {
        std::mem::swap(&mut a.bit, &mut b.bit);
        a.set();
        b.set();
    }
}

/// The bit of database `index`.
pub fn bit_of(index: usize) -> u64 {
    1 << index.min(63)
}

/// The databases (of `count`) a set of marks points at, lowest first:
/// one step per set bit, not per database.
pub fn marked(marks: u64, count: usize) -> impl Iterator<Item = usize> {
    let mut low = marks & !(1 << 63);
    let low = std::iter::from_fn(move || {
        (low != 0).then(|| {
            let i = low.trailing_zeros() as usize;
            low &= low - 1;
            i
        })
    });
    let high = (63..count).filter(move |_| marks & (1 << 63) != 0);
    low.filter(move |&i| i < count).chain(high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_lists_the_set_bits_and_the_shared_top_one() {
        assert_eq!(marked(0, 16).count(), 0);
        assert_eq!(marked(0b1010, 16).collect::<Vec<_>>(), vec![1, 3]);
        let all: Vec<usize> = marked(bit_of(70) | 1, 66).collect();
        assert_eq!(all, vec![0, 63, 64, 65]);
    }

    #[test]
    fn swapped_databases_trade_bits() {
        let marks = Rc::new(Cell::new(0));
        let (mut a, mut b) = (
            NoteMark::new(marks.clone(), 1),
            NoteMark::new(marks.clone(), 2),
        );
        NoteMark::swap(&mut a, &mut b);
        assert_eq!(marks.get(), 0b110);
        marks.set(0);
        a.set();
        assert_eq!(marks.get(), 0b100);
    }
}
