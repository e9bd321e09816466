//! The commands ACL rules name: Redis 7.0.15's commands and container
//! subcommands (the metadata COMMAND INFO prints, so that rules naming a
//! command we do not implement behave as in 7.0 and category counts, hence
//! GETUSER's descriptions, are 7.0's), plus any command of the node's table
//! missing there. Each has an id (its bit in a selector) and categories.

use super::categories;
use crate::commands::command_docs::META;
use crate::commands::{CommandDef, CommandTable};
use std::collections::HashMap;

/// One command or subcommand (`config|get`).
pub struct Entry {
    /// `name` or `parent|sub`, lower-case.
    pub fullname: String,
    /// Category bits (see [`categories`]).
    pub cats: u32,
    /// Ids of the subcommands of a container.
    pub subs: Vec<usize>,
    /// The container of a subcommand.
    pub parent: Option<usize>,
    /// NO_AUTH commands (AUTH, HELLO) run whatever the rules say.
    pub no_auth: bool,
}

/// All the entries; ids are positions, sorted by name (so each container
/// is followed by its subcommands), the order rules are described in.
pub struct CommandIndex {
    pub entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
}

impl CommandIndex {
    pub fn new(table: &CommandTable) -> CommandIndex {
        // (fullname, category names)
        let mut names: Vec<(String, Vec<&'static str>)> = META
            .iter()
            .map(|(n, cats, _)| (n.to_string(), cats.to_vec()))
            .collect();
        for cmd in &table.all {
            let missing = |n: &str| META.binary_search_by(|m| m.0.cmp(n)).is_err();
            if missing(cmd.name) {
                names.push((
                    cmd.name.to_string(),
                    crate::commands::command::categories_of(cmd, None),
                ));
            }
            for sub in cmd.subcommands {
                let full = format!("{}|{}", cmd.name, sub);
                if missing(&full) {
                    names.push((
                        full,
                        crate::commands::command::categories_of(cmd, Some(sub)),
                    ));
                }
            }
        }
        crate::coldsort::sort(&mut names);
        let mut entries: Vec<Entry> = Vec::with_capacity(names.len());
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (full, cats) in names {
            let id = entries.len();
            let parent = full
                .split_once('|')
                .and_then(|(p, _)| by_name.get(p).copied());
            if let Some(p) = parent {
                entries[p].subs.push(id);
            }
            let no_auth = table
                .get(full.as_bytes())
                .is_some_and(|c| c.has(crate::commands::flags::NO_AUTH));
            entries.push(Entry {
                fullname: full.clone(),
                cats: cats
                    .iter()
                    .filter_map(|n| categories::bit(n.trim_start_matches('@')))
                    .fold(0, |a, b| a | b),
                subs: Vec::new(),
                parent,
                no_auth,
            });
            by_name.insert(full, id);
        }
        CommandIndex { entries, by_name }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `name` or `name|sub`, case-insensitively.
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The entry a command line runs: a container's subcommand when argv[1]
    /// names one, else the command itself.
    pub fn id_of(&self, cmd: &CommandDef, argv: &[bytes::Bytes]) -> Option<usize> {
        let id = self.by_name.get(cmd.name).copied()?;
        if !self.entries[id].subs.is_empty() {
            if let Some(sub) = argv.get(1) {
                let name = format!("{}|{}", cmd.name, String::from_utf8_lossy(sub));
                if let Some(sid) = self.lookup(&name) {
                    return Some(sid);
                }
            }
        }
        Some(id)
    }
}
