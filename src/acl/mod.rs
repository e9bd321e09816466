//! Redis 7.0's ACL: users with passwords and selectors, the command,
//! key and channel checks, the ACL LOG. The commands are in
//! `commands::acl`; the checks run in `Server::execute` and at EXEC.
//!
//! The rules' command universe is [`index::CommandIndex`]; rules parse and
//! describe themselves in [`selector`] and [`user`]; ACL files and `user`
//! directives are lines of rules ([`file`]).

pub mod categories;
pub mod file;
pub mod index;
pub mod keys;
pub mod log;
pub mod password;
pub mod selector;
pub mod user;

use crate::commands::CommandDef;
use bytes::Bytes;
use index::CommandIndex;
use selector::{Access, Denial};
use std::rc::Rc;
use user::User;

/// Why a rule was refused (ACLSetUserStringError's messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    Syntax,
    UnknownCommand,
    KeysAfterAll,
    ChannelsAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSub,
}

impl SetError {
    pub fn message(self) -> &'static str {
        match self {
            SetError::Syntax => "Syntax error",
            SetError::UnknownCommand => "Unknown command or category name in ACL",
            SetError::KeysAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            SetError::ChannelsAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            SetError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            SetError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            SetError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// The users of a node and its ACL LOG.
pub struct Acl {
    pub users: crate::vecmap::VecMap<String, User>,
    pub log: log::AclLog,
    pub index: Rc<CommandIndex>,
    /// The `requirepass` the default user's password was last set from
    /// (7.0 maps `requirepass` onto the default user).
    requirepass_seen: String,
}

impl Acl {
    pub fn new(table: &crate::commands::CommandTable) -> Acl {
        Acl::new_with_index(Rc::new(CommandIndex::new(table)))
    }

    /// A fresh ACL (the default user only) over an existing index.
    pub fn new_with_index(index: Rc<CommandIndex>) -> Acl {
        let mut default = User::new("default", &index, false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            default
                .apply(&index, op.as_bytes(), false)
                .expect("default user rules");
        }
        let mut users = crate::vecmap::VecMap::new();
        users.insert("default".to_string(), default);
        Acl {
            users,
            log: log::AclLog::default(),
            index,
            requirepass_seen: String::new(),
        }
    }

    pub fn default_user(&self) -> &User {
        &self.users["default"]
    }

    /// Whether a client not yet authenticated must AUTH (authRequired).
    pub fn default_requires_auth(&self) -> bool {
        let d = self.default_user();
        !d.nopass || !d.enabled
    }

    /// ACLLoadConfiguredUsers: the `user` directives, each defining a user
    /// from scratch (a duplicate is an error). Returns the users left off,
    /// which 7.0 warns about.
    pub fn load_configured(
        &mut self,
        lines: &[Vec<String>],
        allchannels_default: bool,
    ) -> Result<Vec<String>, String> {
        let mut seen = crate::vecmap::VecSet::new();
        let mut disabled = Vec::new();
        for line in lines {
            let name = &line[0];
            if !seen.insert(name.clone()) {
                return Err(format!("Duplicate user '{name}' found"));
            }
            if name == "default" {
                let index = self.index.clone();
                let d = self.users.get_mut("default").expect("default user");
                d.apply(&index, b"reset", allchannels_default).ok();
            } else {
                self.users.remove(name);
            }
            let rules: Vec<Bytes> = line[1..]
                .iter()
                .map(|r| Bytes::copy_from_slice(r.as_bytes()))
                .collect();
            self.set_user(name, &rules, allchannels_default)
                .map_err(|e| format!("Error in user declaration '{name}': {e}"))?;
            if !self.users[name].enabled {
                disabled.push(name.clone());
            }
        }
        Ok(disabled)
    }

    /// ACLUpdateDefaultUserPassword when `requirepass` changed since last seen.
    pub fn sync_requirepass(&mut self, requirepass: &str) {
        if self.requirepass_seen == requirepass {
            return;
        }
        self.requirepass_seen = requirepass.to_string();
        let index = self.index.clone();
        let d = self.users.get_mut("default").expect("default user");
        let _ = d.apply(&index, b"resetpass", false);
        if requirepass.is_empty() {
            let _ = d.apply(&index, b"nopass", false);
        } else {
            let _ = d.apply(&index, format!(">{requirepass}").as_bytes(), false);
        }
    }

    /// ACLCheckUserCredentials.
    pub fn credentials_ok(&self, user: &[u8], pass: &[u8]) -> bool {
        let name = String::from_utf8_lossy(user);
        self.users.get(&*name).is_some_and(|u| u.password_ok(pass))
    }

    /// ACLStringSetUser: the rules apply all or none, to a copy of the user
    /// (or a new one). Returns the user as it was, if it existed.
    pub fn set_user(
        &mut self,
        name: &str,
        rules: &[Bytes],
        allchannels_default: bool,
    ) -> Result<Option<User>, String> {
        let merged = merge_selector_args(rules)?;
        let index = self.index.clone();
        let old = self.users.get(name).cloned();
        let mut u = old
            .clone()
            .unwrap_or_else(|| User::new(name, &index, allchannels_default));
        for op in &merged {
            u.apply(&index, op, allchannels_default).map_err(|e| {
                format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                )
            })?;
        }
        self.users.insert(name.to_string(), u);
        Ok(old)
    }

    /// ACLCheckAllUserCommandPerm: Ok if one selector allows all of the
    /// command line, else the most relevant refusal.
    pub fn check(&self, username: &str, cmd: &CommandDef, argv: &[Bytes]) -> Result<(), Denial> {
        let Some(u) = self.users.get(username) else {
            return Ok(());
        };
        // The default user's fast path: everything allowed.
        if u.selectors
            .iter()
            .any(|s| s.allcommands && s.allkeys && s.allchannels)
        {
            return Ok(());
        }
        // Every command of the node's table is in the index; fail closed anyway.
        let Some(id) = self.index.id_of(cmd, argv) else {
            return Err(Denial::Command);
        };
        let is_sub = self.index.entries[id].parent.is_some();
        let sub = is_sub.then(|| {
            let full = &self.index.entries[id].fullname;
            full.split_once('|').map_or("", |(_, s)| s)
        });
        // 7.0 refuses an unknown subcommand, or a subcommand with the wrong
        // number of arguments, before any ACL check: the handler answers.
        if argv.len() >= 2 && !self.index.entries[id].subs.is_empty() {
            return Ok(());
        }
        if let Some(s) = sub {
            let arity = crate::commands::command_docs::SUBCOMMANDS
                .iter()
                .find(|d| d.parent == cmd.name && d.name == s)
                .map(|d| d.arity);
            if arity.is_some_and(|a| {
                (a > 0 && argv.len() != a as usize) || argv.len() < a.unsigned_abs() as usize
            }) {
                return Ok(());
            }
        }
        let keys = keys::key_access(cmd, argv);
        let channels = keys::channels(cmd, argv);
        self.check_id(username, id, argv, &keys, &channels)
    }

    /// The check of [`Acl::check`] for a command known by id, its keys and
    /// channels given.
    pub fn check_id(
        &self,
        username: &str,
        id: usize,
        argv: &[Bytes],
        keys: &[(usize, u8)],
        channels: &[(usize, bool)],
    ) -> Result<(), Denial> {
        let Some(u) = self.users.get(username) else {
            return Ok(());
        };
        let access = Access {
            id,
            argv,
            keys,
            channels,
            is_sub: self.index.entries[id].parent.is_some(),
        };
        let mut relevant = Denial::Command;
        for s in &u.selectors {
            match s.check(&self.index, &access) {
                Ok(()) => return Ok(()),
                Err(d) => {
                    if d.rank() > relevant.rank()
                        || (d.rank() == relevant.rank() && d.pos() > relevant.pos())
                    {
                        relevant = d;
                    }
                }
            }
        }
        Err(relevant)
    }

    /// The name rules give the command line: `name|sub` for a subcommand 7.0
    /// has (MEMORY DOCTOR too, though we do not serve it), else the name.
    pub fn command_name(&self, cmd: &CommandDef, argv: &[Bytes]) -> String {
        self.index.id_of(cmd, argv).map_or_else(
            || cmd.name.to_string(),
            |id| self.index.entries[id].fullname.clone(),
        )
    }

    /// ACLUserCheckCmdWithUnrestrictedKeyAccess (SORT BY / GET).
    pub fn unrestricted_keys(
        &self,
        username: &str,
        cmd: &CommandDef,
        argv: &[Bytes],
        need: u8,
    ) -> bool {
        let Some(u) = self.users.get(username) else {
            return true;
        };
        let Some(id) = self.index.id_of(cmd, argv) else {
            return true;
        };
        let keys = keys::key_access(cmd, argv);
        let channels = keys::channels(cmd, argv);
        let access = Access {
            id,
            argv,
            keys: &keys,
            channels: &channels,
            is_sub: false,
        };
        u.selectors
            .iter()
            .any(|s| s.check(&self.index, &access).is_ok() && s.unrestricted_keys(need))
    }
}

/// ACLAppendUserForLoading's checks of a `user` directive (`line` is the
/// name and its rules): a name defined once, rules that parse (a command
/// unknown now is let through, as 7.0 lets modules' commands through).
pub fn check_user_line(earlier: &[Vec<String>], line: &[String]) -> Result<(), String> {
    let name = &line[0];
    let err = |m: &str| format!("Error in user declaration '{name}': {m}");
    if earlier.iter().any(|l| l[0] == *name) {
        return Err(err(
            "Duplicate user found. A user can only be defined once in config files",
        ));
    }
    let rules: Vec<Bytes> = line[1..]
        .iter()
        .map(|r| Bytes::copy_from_slice(r.as_bytes()))
        .collect();
    let merged = merge_selector_args(&rules).map_err(|e| err(&e))?;
    let index = CommandIndex::new(crate::server::command_table());
    let mut u = User::new(name, &index, false);
    for op in &merged {
        match u.apply(&index, op, false) {
            Ok(()) | Err(SetError::UnknownCommand) => {}
            Err(e) => return Err(err(e.message())),
        }
    }
    Ok(())
}

/// ACLMergeSelectorArguments: a selector spread over several arguments
/// (`(~key +get` `)`) becomes one.
pub fn merge_selector_args(args: &[Bytes]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((start, mut sel)) = open.take() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(sel);
            } else {
                open = Some((start, sel));
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.to_vec()));
            continue;
        }
        out.push(op.to_vec());
    }
    if let Some((start, _)) = open {
        return Err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&args[start])
        ));
    }
    Ok(out)
}

/// The NOPERM reply to a refused command (processCommand's wording).
pub fn denial_message(acl: &Acl, d: Denial, cmd: &CommandDef, argv: &[Bytes]) -> String {
    match d {
        Denial::Command => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            acl.command_name(cmd, argv)
        ),
        Denial::Key(_) => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Denial::Channel(_) => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into()
        }
    }
}

/// The reason EXEC gives when a queued command is no longer allowed.
pub fn exec_denial_message(d: Denial) -> String {
    let reason = match d {
        Denial::Command => "no permission to execute the command or subcommand",
        Denial::Key(_) => "no permission to touch the specified keys",
        Denial::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}")
}

#[cfg(test)]
mod tests;
