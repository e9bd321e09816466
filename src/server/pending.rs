//! The clients with output to hand to the host at the end of a round.
//!
//! Nearly every round has one or a few: a vector noted in any order and
//! sorted once when taken costs less than a tree that allocates a node
//! for the first entry of every round. Taken, the clients come out in
//! connection order, without repeats, as the tree gave them.

use crate::node::ConnId;

#[derive(Debug, Default)]
pub struct PendingConns {
    conns: Vec<ConnId>,
    /// The last round's vector, emptied: the next round fills it again.
    spare: Vec<ConnId>,
}

impl PendingConns {
    pub fn insert(&mut self, conn: ConnId) {
        // The same client noted twice in a row (a reply, then a push) is common.
        if self.conns.last() != Some(&conn) {
            self.conns.push(conn);
        }
    }

    pub fn remove(&mut self, conn: &ConnId) {
        self.conns.retain(|c| c != conn);
    }

    pub fn contains(&self, conn: &ConnId) -> bool {
        self.conns.contains(conn)
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// The clients noted so far, in connection order; the set starts empty.
    /// Give the vector back with [`PendingConns::recycle`].
    pub fn take(&mut self) -> Vec<ConnId> {
        let mut taken = std::mem::replace(&mut self.conns, std::mem::take(&mut self.spare));
        if taken.len() > 1 {
            taken.sort_unstable();
            taken.dedup();
        }
        taken
    }

    /// A vector [`PendingConns::take`] gave, done with.
    pub fn recycle(&mut self, mut taken: Vec<ConnId>) {
        taken.clear();
        if self.spare.capacity() < taken.capacity() {
            self.spare = taken;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_in_connection_order_without_repeats() {
        let mut p = PendingConns::default();
        for c in [5, 2, 5, 5, 9, 2] {
            p.insert(ConnId(c));
        }
        assert!(p.contains(&ConnId(9)));
        p.remove(&ConnId(9));
        let taken = p.take();
        assert_eq!(taken, vec![ConnId(2), ConnId(5)]);
        assert!(p.is_empty());
        p.recycle(taken);
        p.insert(ConnId(1));
        assert_eq!(p.take(), vec![ConnId(1)]);
    }
}
