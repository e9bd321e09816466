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

/// Call `f` with each database (of `count`) a set of marks points at,
/// lowest first: one step per set bit, not per database.
#[inline]
pub fn for_each_marked(marks: u64, count: usize, mut f: impl FnMut(usize)) {
    let mut m = marks;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        if i < 63 {
            if i < count {
                f(i);
            }
        } else {
            (63..count).for_each(&mut f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_lists_the_set_bits_and_the_shared_top_one() {
        let marked = |marks, count| {
            let mut v = Vec::new();
            for_each_marked(marks, count, |i| v.push(i));
            v
        };
        assert!(marked(0, 16).is_empty());
        assert_eq!(marked(0b1010, 16), vec![1, 3]);
        assert_eq!(marked(1 << 20, 16), Vec::<usize>::new());
        assert_eq!(marked(bit_of(70) | 1, 66), vec![0, 63, 64, 65]);
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
