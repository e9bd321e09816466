//! The ACL LOG: denied commands, keys, channels and failed AUTHs, newest
//! first; a repeat of a recent entry bumps its count instead.

use super::selector::Denial;
use crate::commands::CommandDef;
use crate::node::Millis;
use bytes::Bytes;
use std::collections::VecDeque;

/// Entries this close in time (ms) with the same reason, context, object
/// and user are one entry (ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MS: u64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    /// A command a script ran (`redis.call`).
    Lua,
}

impl Context {
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: String,
    pub username: String,
    /// When it last happened (ms).
    pub time: Millis,
    /// CLIENT LIST's line of the client it last happened to.
    pub client_info: String,
}

#[derive(Default, Debug)]
pub struct AclLog {
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// addACLLogEntry: merge with one of the 10 newest entries if it is the
    /// same event, else add it in front and trim to `max_len`.
    pub fn add(&mut self, e: Entry, max_len: usize) {
        let same = self.entries.iter().take(10).position(|x| {
            x.reason == e.reason
                && x.context == e.context
                && x.time.abs_diff(e.time) <= GROUPING_MS
                && x.object == e.object
                && x.username == e.username
        });
        if let Some(i) = same {
            let mut m = self.entries.remove(i).expect("position found");
            m.count += 1;
            m.time = e.time;
            m.client_info = e.client_info;
            self.entries.push_front(m);
            return;
        }
        self.entries.push_front(e);
        self.entries.truncate(max_len);
    }
}

/// `argv`: the command being refused, which the client-info line shows as
/// running (as 7.0's `cmd=`, `qbuf=`, `argv-mem=` show it).
fn add_entry(
    srv: &mut crate::server::ServerState,
    c: &crate::server::Client,
    argv: &[Bytes],
    reason: Reason,
    context: Context,
    object: String,
    username: String,
) {
    let max = srv
        .config
        .get_i64(crate::server::config::Key::ACLLOG_MAX_LEN)
        .max(0) as usize;
    let client_info =
        crate::commands::client::client_line(c, srv.now, Some(argv), srv.unsent(c.conn))
            .trim_end()
            .to_string();
    srv.acl.log.add(
        Entry {
            count: 1,
            reason,
            context,
            object,
            username,
            time: srv.now,
            client_info,
        },
        max,
    );
}

/// addACLLogEntry for a refused command, key or channel.
pub fn record_denial(
    srv: &mut crate::server::ServerState,
    c: &crate::server::Client,
    d: Denial,
    context: Context,
    cmd: &CommandDef,
    argv: &[Bytes],
) {
    let (reason, object) = reason_and_object(&srv.acl, d, cmd, argv);
    add_entry(srv, c, argv, reason, context, object, c.user.clone());
}

/// addACLLogEntry for a command a script ran (`redis.call`): the entry
/// names the client that ran the script, `caller_argv` its command.
pub fn record_script_denial(
    srv: &mut crate::server::ServerState,
    caller: &crate::server::Client,
    caller_argv: &[Bytes],
    d: Denial,
    cmd: &CommandDef,
    argv: &[Bytes],
) {
    let (reason, object) = reason_and_object(&srv.acl, d, cmd, argv);
    let user = caller.user.clone();
    add_entry(srv, caller, caller_argv, reason, Context::Lua, object, user);
}

/// addACLLogEntry for a failed AUTH / HELLO AUTH (`object` is the command
/// as typed, the user the one tried).
pub fn record_auth_failure(
    srv: &mut crate::server::ServerState,
    c: &crate::server::Client,
    argv: &[Bytes],
    username: &[u8],
) {
    let context = if c.multi.is_some() {
        Context::Multi
    } else {
        Context::Toplevel
    };
    add_entry(
        srv,
        c,
        argv,
        Reason::Auth,
        context,
        String::from_utf8_lossy(&argv[0]).into_owned(),
        String::from_utf8_lossy(username).into_owned(),
    );
}

/// What a refusal is about: the reason and the command, key or channel.
fn reason_and_object(
    acl: &super::Acl,
    d: Denial,
    cmd: &CommandDef,
    argv: &[Bytes],
) -> (Reason, String) {
    match d {
        Denial::Command => (Reason::Command, acl.command_name(cmd, argv)),
        Denial::Key(p) => (Reason::Key, String::from_utf8_lossy(&argv[p]).into_owned()),
        Denial::Channel(p) => (
            Reason::Channel,
            String::from_utf8_lossy(&argv[p]).into_owned(),
        ),
    }
}
