//! `rename-command`: a server's own view of the command table, where some
//! commands answer to another name or to none. 7.0 edits the lookup
//! dictionary only: the command keeps its own name in COMMAND replies,
//! CLIENT LIST, ACL rules and stats, and only lookups by name change.

use super::{CommandDef, CommandTable, NameMap};
use std::collections::HashMap;
use std::sync::Mutex;

/// 7.0's errors for a `rename-command` line it cannot apply.
const NO_SUCH: &str = "No such command in rename-command";
const TAKEN: &str = "Target command name already exists";

/// The names `base` answers to once `renames` are applied in order, as 7.0
/// applies each line when it reads it (a later line sees earlier renames).
fn apply(
    base: &CommandTable,
    renames: &[(String, String)],
) -> Result<HashMap<Vec<u8>, &'static CommandDef>, &'static str> {
    let mut names: HashMap<Vec<u8>, &'static CommandDef> =
        base.by_name.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
    for (old, new) in renames {
        let def = names
            .remove(old.to_ascii_lowercase().as_bytes())
            .ok_or(NO_SUCH)?;
        if new.is_empty() {
            continue;
        }
        let new = new.to_ascii_lowercase().into_bytes();
        if names.contains_key(&new) {
            return Err(TAKEN);
        }
        names.insert(new, def);
    }
    Ok(names)
}

/// Check one more `rename-command old new` line after `earlier` ones
/// against the server's table (config loading reports the error at its line).
pub fn check(earlier: &[(String, String)], old: &str, new: &str) -> Result<(), String> {
    let mut all = earlier.to_vec();
    all.push((old.to_string(), new.to_string()));
    apply(crate::server::command_table(), &all)
        .map(|_| ())
        .map_err(str::to_string)
}

/// The server's table with `renames` applied. Tables live as long as the
/// program, like the server's own; one is built per distinct list of renames
/// and shared, so restarting nodes (the simulator) do not add up copies.
pub fn server_table(renames: &[(String, String)]) -> Result<&'static CommandTable, String> {
    let base = crate::server::command_table();
    if renames.is_empty() {
        return Ok(base);
    }
    type Built = Vec<(Vec<(String, String)>, &'static CommandTable)>;
    static BUILT: Mutex<Built> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, t)) = built.iter().find(|(r, _)| r == renames) {
        return Ok(t);
    }
    let names = apply(base, renames).map_err(str::to_string)?;
    let mut by_name = NameMap::default();
    let mut all: Vec<&'static CommandDef> = Vec::with_capacity(names.len());
    for (name, def) in names {
        let name: &'static [u8] = Box::leak(name.into_boxed_slice());
        by_name.insert(name, def);
        all.push(def);
    }
    crate::coldsort::sort_by_key(&mut all, |c| c.name);
    let table: &'static CommandTable = Box::leak(Box::new(CommandTable {
        by_name,
        all,
        renamed: true,
    }));
    built.push((renames.to_vec(), table));
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn renamed_and_removed() {
        let base = crate::server::command_table();
        let t = server_table(&r(&[("flushdb", "badger"), ("KEYS", "")])).unwrap();
        assert!(t.is_renamed());
        assert!(t.get(b"flushdb").is_none());
        assert_eq!(t.get(b"BADGER").map(|d| d.name), Some("flushdb"));
        assert!(t.get(b"keys").is_none());
        assert_eq!(t.all.len(), base.all.len() - 1);
        // The same renames give the same table.
        let again = server_table(&r(&[("flushdb", "badger"), ("KEYS", "")])).unwrap();
        assert!(std::ptr::eq(t, again));
    }

    #[test]
    fn errors_as_7_0() {
        assert_eq!(check(&[], "nosuch", "x").unwrap_err(), NO_SUCH);
        assert_eq!(check(&[], "get", "set").unwrap_err(), TAKEN);
        let earlier = r(&[("get", "fetch")]);
        assert_eq!(check(&earlier, "get", "x").unwrap_err(), NO_SUCH);
        assert!(check(&earlier, "fetch", "get").is_ok());
        assert_eq!(check(&[], "config|get", "x").unwrap_err(), NO_SUCH);
    }
}
