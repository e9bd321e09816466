//! `redis.call`'s arguments as the server takes them (`Bytes`), made
//! without an allocation per argument when a script repeats itself.
//!
//! 7.0 copies each argument into a new object per call; so did we, and the
//! allocations and frees (three for `redis.call('incr', KEYS[1])`) cost
//! more than the argument checks and the command lookup together. Scripts
//! mostly call the same commands on the same keys over and over (a loop, a
//! key from KEYS): the last call's argument vector is kept, and an argument
//! equal to the one at its position stays as it is; others come from a
//! few recently seen short strings (a clone: a reference count) or are
//! copied. The command the last few names looked up to is remembered too.

use crate::commands::{CommandDef, CommandTable};
use bytes::Bytes;
use std::cell::{Cell, RefCell};

/// Arguments of the last call kept for the next (the command name, keys,
/// a few values).
const KEPT: usize = 16;
/// Longer arguments are neither kept nor remembered (values, not names
/// or keys): memory held between calls stays small.
const MAX_LEN: usize = 64;
/// Short strings remembered whatever their position.
const POOL: usize = 8;
/// Command names remembered with what they looked up to.
const COMMANDS: usize = 4;

/// A command name (a pooled string), the table it was looked up in, what
/// it named there.
type KnownCommand = (Bytes, &'static CommandTable, &'static CommandDef);

/// One VM's memory of its scripts' recent `redis.call` arguments.
#[derive(Default)]
pub struct ArgCache {
    /// The last call's arguments (long ones emptied).
    last: Cell<Vec<Bytes>>,
    pool: RefCell<Vec<Bytes>>,
    next_pool: Cell<usize>,
    /// (name as a pooled string, table, command): a name is known by its
    /// allocation, which stays alive (and so unchanged) while here.
    commands: RefCell<[Option<KnownCommand>; COMMANDS]>,
    next_command: Cell<usize>,
}

impl ArgCache {
    /// The vector to fill with one call's arguments through [`ArgCache::set`]
    /// (it holds the last call's).
    pub fn take_vec(&self) -> Vec<Bytes> {
        self.last.take()
    }

    /// Give back a call's argument vector.
    pub fn put_vec(&self, mut v: Vec<Bytes>) {
        v.truncate(KEPT);
        for b in v.iter_mut().filter(|b| b.len() > MAX_LEN) {
            *b = Bytes::new();
        }
        self.last.set(v);
    }

    /// Make `s` argument `pos` of `argv`, whose arguments before `pos` are
    /// this call's and from `pos` on the last call's (the caller truncates
    /// the vector to the call's count once done).
    pub fn set(&self, argv: &mut Vec<Bytes>, pos: usize, s: &[u8]) {
        match argv.get_mut(pos) {
            Some(b) if b[..] == *s => {}
            Some(b) => *b = self.bytes(s),
            None => argv.push(self.bytes(s)),
        }
    }

    /// `s` as a pooled string if it is one (or becomes one), else a copy.
    fn bytes(&self, s: &[u8]) -> Bytes {
        if s.len() > MAX_LEN {
            return Bytes::copy_from_slice(s);
        }
        let mut pool = self.pool.borrow_mut();
        if let Some(b) = pool.iter().find(|b| b[..] == *s) {
            return b.clone();
        }
        let b = Bytes::copy_from_slice(s);
        if pool.len() < POOL {
            pool.push(b.clone());
        } else {
            let i = self.next_pool.get();
            pool[i] = b.clone();
            self.next_pool.set((i + 1) % POOL);
        }
        b
    }

    /// The command `name` names in `table`, looked up once per remembered
    /// name.
    pub fn command(
        &self,
        table: &'static CommandTable,
        name: &Bytes,
    ) -> Option<&'static CommandDef> {
        let mut commands = self.commands.borrow_mut();
        for (b, t, cmd) in commands.iter().flatten() {
            if b.as_ptr() == name.as_ptr() && b.len() == name.len() && std::ptr::eq(*t, table) {
                return Some(cmd);
            }
        }
        let cmd = table.get(name)?;
        // Only a pooled string is seen again with the same allocation.
        let pooled = self
            .pool
            .borrow()
            .iter()
            .any(|b| b.as_ptr() == name.as_ptr() && b.len() == name.len());
        if pooled && !name.is_empty() {
            let i = self.next_command.get();
            commands[i] = Some((name.clone(), table, cmd));
            self.next_command.set((i + 1) % COMMANDS);
        }
        Some(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(c: &ArgCache, args: &[&[u8]]) -> Vec<Bytes> {
        let mut v = c.take_vec();
        for (i, a) in args.iter().enumerate() {
            c.set(&mut v, i, a);
        }
        v.truncate(args.len());
        let out = v.clone();
        c.put_vec(v);
        out
    }

    #[test]
    fn repeated_arguments_share_the_first_copy() {
        let c = ArgCache::default();
        let a = call(&c, &[b"incr", b"k"]);
        let b = call(&c, &[b"incr", b"k"]);
        assert_eq!(a, b);
        assert_eq!(a[0].as_ptr(), b[0].as_ptr());
        assert_eq!(a[1].as_ptr(), b[1].as_ptr());
        // Another command in between: the name comes back from the pool.
        let g = call(&c, &[b"get", b"k", b"x"]);
        assert_eq!(g, vec![&b"get"[..], b"k", b"x"]);
        let d = call(&c, &[b"incr"]);
        assert_eq!(d, vec![&b"incr"[..]]);
        assert_eq!(d[0].as_ptr(), a[0].as_ptr());
        // Long arguments are copied each time.
        let long = vec![b'x'; MAX_LEN + 1];
        let l1 = call(&c, &[b"set", b"k", &long]);
        let l2 = call(&c, &[b"set", b"k", &long]);
        assert_eq!(l1, l2);
        assert_ne!(l1[2].as_ptr(), l2[2].as_ptr());
    }

    #[test]
    fn commands_are_found_through_pooled_names() {
        let c = ArgCache::default();
        let table = crate::server::command_table();
        let name = call(&c, &[b"INCR"]).remove(0);
        assert_eq!(c.command(table, &name).map(|d| d.name), Some("incr"));
        let again = call(&c, &[b"INCR"]).remove(0);
        assert_eq!(c.command(table, &again).map(|d| d.name), Some("incr"));
        let other = call(&c, &[b"nosuch"]).remove(0);
        assert!(c.command(table, &other).is_none());
        // A name not from the pool is looked up as it is.
        assert_eq!(
            c.command(table, &Bytes::from_static(b"get"))
                .map(|d| d.name),
            Some("get")
        );
    }
}
