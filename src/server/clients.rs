//! The server's clients by connection, in connection order.
//!
//! A client is taken out of the table while its commands run (the server
//! and the client are both borrowed mutably then) and put back after. The
//! table keeps its slot meanwhile: taking and putting back is one lookup
//! each, where removing and re-inserting reshaped the tree on every read.
//! A taken client is absent to everyone else (lookups, iteration, length),
//! exactly as if it had been removed.

use super::client::Client;
use crate::node::ConnId;
use std::collections::btree_map::{self, BTreeMap};

/// A boxed client: moving it in and out of its slot moves a pointer.
type Slot = Option<Box<Client>>;

#[derive(Default)]
pub struct ClientTable {
    slots: BTreeMap<ConnId, Slot>,
    /// Clients present (not taken).
    len: usize,
}

// The accessors hand out `&Box<Client>` as the map they replace did, so
// that callers written against it read the same.
#[allow(clippy::borrowed_box)]
impl ClientTable {
    pub fn new() -> ClientTable {
        ClientTable::default()
    }

    /// Take a client out to run its commands; [`ClientTable::put`] it back.
    pub fn take(&mut self, conn: &ConnId) -> Option<Box<Client>> {
        let c = self.slots.get_mut(conn)?.take();
        if c.is_some() {
            self.len -= 1;
        }
        c
    }

    /// Put a client back in its slot (or a new one): the same as `insert`.
    pub fn put(&mut self, conn: ConnId, c: Box<Client>) {
        self.insert(conn, c);
    }

    pub fn insert(&mut self, conn: ConnId, c: Box<Client>) -> Option<Box<Client>> {
        match self.slots.entry(conn) {
            btree_map::Entry::Occupied(mut e) => {
                let old = e.get_mut().replace(c);
                if old.is_none() {
                    self.len += 1;
                }
                old
            }
            btree_map::Entry::Vacant(e) => {
                e.insert(Some(c));
                self.len += 1;
                None
            }
        }
    }

    /// Forget a client (and its slot, taken or not).
    pub fn remove(&mut self, conn: &ConnId) -> Option<Box<Client>> {
        let c = self.slots.remove(conn)?;
        if c.is_some() {
            self.len -= 1;
        }
        c
    }

    pub fn get(&self, conn: &ConnId) -> Option<&Box<Client>> {
        self.slots.get(conn)?.as_ref()
    }

    pub fn get_mut(&mut self, conn: &ConnId) -> Option<&mut Box<Client>> {
        self.slots.get_mut(conn)?.as_mut()
    }

    pub fn contains_key(&self, conn: &ConnId) -> bool {
        self.get(conn).is_some()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.slots.iter())
    }

    pub fn keys(&self) -> impl Iterator<Item = &ConnId> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Box<Client>> {
        self.slots.values().filter_map(|s| s.as_ref())
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Box<Client>> {
        self.slots.values_mut().filter_map(|s| s.as_mut())
    }
}

/// `table[&conn]`, for a client that must be there (it panics otherwise).
impl std::ops::Index<&ConnId> for ClientTable {
    type Output = Box<Client>;

    fn index(&self, conn: &ConnId) -> &Box<Client> {
        self.get(conn).expect("no client on this connection")
    }
}

/// The present clients in connection order.
pub struct Iter<'a>(btree_map::Iter<'a, ConnId, Slot>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a ConnId, &'a Box<Client>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.find_map(|(k, s)| s.as_ref().map(|c| (k, c)))
    }
}

impl<'a> IntoIterator for &'a ClientTable {
    type Item = (&'a ConnId, &'a Box<Client>);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Addr;

    fn client(conn: u64) -> Box<Client> {
        let a = Addr::new("127.0.0.1", 1);
        Box::new(Client::new(conn, ConnId(conn), a.clone(), a, 0))
    }

    #[test]
    fn a_taken_client_is_absent_until_put_back() {
        let mut t = ClientTable::new();
        for i in [3, 1, 2] {
            t.insert(ConnId(i), client(i));
        }
        let c = t.take(&ConnId(2)).expect("present");
        assert_eq!(t.len(), 2);
        assert!(!t.contains_key(&ConnId(2)));
        assert!(t.take(&ConnId(2)).is_none());
        let order: Vec<u64> = t.keys().map(|k| k.0).collect();
        assert_eq!(order, [1, 3]);
        t.put(ConnId(2), c);
        assert_eq!(t.len(), 3);
        let order: Vec<u64> = t.values().map(|c| c.id).collect();
        assert_eq!(order, [1, 2, 3]);
    }

    #[test]
    fn removing_a_taken_client_forgets_its_slot() {
        let mut t = ClientTable::new();
        t.insert(ConnId(1), client(1));
        let c = t.take(&ConnId(1)).expect("present");
        assert!(t.remove(&ConnId(1)).is_none());
        assert!(t.is_empty());
        // Put back after being forgotten: present again, counted once.
        t.put(ConnId(1), c);
        assert_eq!(t.len(), 1);
        assert!(t.remove(&ConnId(1)).is_some());
        assert_eq!(t.len(), 0);
    }
}
