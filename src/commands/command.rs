//! COMMAND: COUNT, INFO, DOCS, LIST, GETKEYS, HELP over the command table and
//! the metadata of `command_docs`.

use super::command_docs::{key_specs, keys_by_specs, meta, Begin, Find, KeySpec, SUBCOMMANDS};
use super::container::{help, subcommand, unknown_sub};
use super::docs::{doc, write_doc, Doc};
use super::{
    eq_ignore_case, err, flags, flags::*, glob_match, lower, CmdResult, CommandDef, CommandTable,
    Ctx,
};
use crate::resp::ReplyBuf;
use crate::server::command_table;
use bytes::Bytes;

/// A command or subcommand as COMMAND INFO / DOCS describe it.
struct Described {
    name: String,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    subs: Vec<Described>,
    /// Its 7.0.15 JSON doc (every command of the table has one).
    doc: Option<&'static Doc>,
}

/// The command table COMMAND describes: the server's, or a sentinel's
/// (whose containers list the subcommands of its own table).
pub(crate) struct Catalog {
    pub table: &'static CommandTable,
    pub subcommands: fn(&CommandDef) -> &'static [&'static str],
}

impl Catalog {
    fn server() -> Catalog {
        Catalog {
            table: command_table(),
            subcommands: |c| c.subcommands,
        }
    }
}

fn describe(cat: &Catalog, c: &CommandDef) -> Described {
    let subs = (cat.subcommands)(c)
        .iter()
        .map(|s| {
            let known = SUBCOMMANDS
                .iter()
                .find(|d| d.parent == c.name && d.name == *s);
            let name = format!("{}|{}", c.name, s);
            let doc = doc(&name);
            Described {
                doc,
                name,
                arity: doc.map_or(known.map_or(-2, |d| d.arity), |d| d.arity),
                flags: doc.map_or(known.map_or(c.flags, |d| d.flags), |d| d.flags),
                keys: match (c.name, *s) {
                    ("memory", "usage")
                    | ("object", "encoding" | "freq" | "idletime" | "refcount") => (2, 2, 1),
                    ("xgroup" | "xinfo", sub) if sub != "help" => (2, 2, 1),
                    _ => (0, 0, 0),
                },
                group: c.group,
                since: c.since,
                summary: "",
                subs: Vec::new(),
            }
        })
        .collect();
    Described {
        doc: doc(c.name),
        name: c.name.to_string(),
        arity: c.arity,
        flags: c.flags,
        keys: (c.first_key, c.last_key, c.step),
        group: c.group,
        since: c.since,
        summary: c.summary,
        subs,
    }
}

/// The ACL categories of a command, or of its subcommand `sub`, as COMMAND
/// INFO prints them (the ACL rules' categories).
pub(crate) fn categories_of(c: &CommandDef, sub: Option<&str>) -> Vec<&'static str> {
    let d = describe(&Catalog::server(), c);
    match sub {
        None => acl_categories(&d),
        Some(s) => {
            let name = format!("{}|{}", c.name, s);
            d.subs
                .iter()
                .find(|x| x.name == name)
                .map_or_else(Vec::new, acl_categories)
        }
    }
}

/// ACL categories in Redis's order: Redis's own list, else derived from flags and group.
fn acl_categories(d: &Described) -> Vec<&'static str> {
    if let Some(m) = meta(&d.name) {
        return m.1.to_vec();
    }
    let mut v = Vec::new();
    let has = |f: u32| d.flags & f != 0;
    if d.group == "generic" {
        v.push("@keyspace");
    }
    if has(READONLY) {
        v.push("@read");
    }
    if has(WRITE) {
        v.push("@write");
    }
    match d.group {
        "set" => v.push("@set"),
        "sorted_set" => v.push("@sortedset"),
        "list" => v.push("@list"),
        "hash" => v.push("@hash"),
        "string" => v.push("@string"),
        "bitmap" => v.push("@bitmap"),
        "hyperloglog" => v.push("@hyperloglog"),
        "geo" => v.push("@geo"),
        "stream" => v.push("@stream"),
        "pubsub" => v.push("@pubsub"),
        _ => {}
    }
    if has(ADMIN) {
        v.push("@admin");
    }
    if has(FAST) {
        v.push("@fast");
    } else {
        v.push("@slow");
    }
    if has(BLOCKING) {
        v.push("@blocking");
    }
    if has(ADMIN) {
        v.push("@dangerous");
    }
    let conn = (d.group == "connection" && d.subs.is_empty())
        || d.name.starts_with("client|")
        || d.name == "command"
        || d.name.starts_with("command|");
    if conn {
        v.push("@connection");
    }
    if d.group == "transactions" {
        v.push("@transaction");
    }
    v
}

/// populateCommandLegacyRangeSpec: the (first, last, step) COMMAND INFO
/// derives from the key specs, and whether they make the keys movable.
fn legacy_range(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    if let [KeySpec {
        begin: Begin::Index(pos),
        find: Find::Range(last, step, _),
        flags,
        ..
    }] = specs
    {
        let last = if *last >= 0 { last + pos } else { *last };
        return ((*pos, last, *step), flags.contains(&"incomplete"));
    }
    let (mut first, mut last, mut prev_last) = (i32::MAX, 0i32, 0i32);
    let mut movable = false;
    for spec in specs {
        let (Begin::Index(pos), Find::Range(lastkey, step, _)) = (&spec.begin, &spec.find) else {
            movable = true;
            continue;
        };
        if *step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        movable |= spec.flags.contains(&"incomplete");
        first = first.min(*pos);
        let abs = if *lastkey >= 0 {
            lastkey + pos
        } else {
            *lastkey
        };
        // Unsigned comparison, as Redis's: a negative (to the end) wins.
        last = (last as u32).max(abs as u32) as i32;
        prev_last = last;
    }
    if first == i32::MAX {
        // No key specs: no keys. Only incompatible ones: movable.
        return ((0, 0, 0), !specs.is_empty());
    }
    ((first, last, 1), movable)
}

fn write_info(out: &mut ReplyBuf, d: &Described) {
    let Some(doc) = d.doc else {
        return write_info_undocumented(out, d);
    };
    out.array(10);
    out.bulk(d.name.as_bytes());
    out.int(d.arity as i64);
    let (keys, movable) = legacy_range(doc.key_specs);
    let flags = (d.flags & !MOVABLE_KEYS) | if movable { MOVABLE_KEYS } else { 0 };
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, n)| flags & f != 0 || (*f == 0 && doc.extra_flags.contains(n)))
        .map(|(_, n)| *n)
        .collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
    out.int(keys.0 as i64);
    out.int(keys.1 as i64);
    out.int(keys.2 as i64);
    let cats = acl_categories(d);
    out.set(cats.len());
    for c in cats {
        out.simple(c);
    }
    out.set(doc.tips.len());
    for t in doc.tips {
        out.bulk(t.as_bytes());
    }
    out.set(doc.key_specs.len());
    for spec in doc.key_specs {
        write_key_spec(out, spec);
    }
    if d.subs.is_empty() {
        out.set(0);
    } else {
        out.array(d.subs.len());
        for s in &d.subs {
            write_info(out, s);
        }
    }
}

/// COMMAND INFO for a command the JSON files do not know: derived from
/// the command table.
fn write_info_undocumented(out: &mut ReplyBuf, d: &Described) {
    out.array(10);
    out.bulk(d.name.as_bytes());
    out.int(d.arity as i64);
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, _)| d.flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
    out.int(d.keys.0 as i64);
    out.int(d.keys.1 as i64);
    out.int(d.keys.2 as i64);
    let cats = acl_categories(d);
    out.set(cats.len());
    for c in cats {
        out.simple(c);
    }
    let tips = meta(&d.name).map_or(&[][..], |m| m.2);
    out.array(tips.len());
    for t in tips {
        out.bulk(t.as_bytes());
    }
    // Key specs: listed where Redis's say more, else derived from (first, last, step).
    if let Some(specs) = key_specs(&d.name) {
        out.array(specs.len());
        for spec in specs {
            write_key_spec(out, spec);
        }
    } else if d.keys.0 > 0 {
        out.array(1);
        out.map(3);
        out.bulk(b"flags");
        out.set(2);
        if d.flags & WRITE != 0 {
            out.simple("RW");
            out.simple("update");
        } else {
            out.simple("RO");
            out.simple("access");
        }
        let lastkey = if d.keys.1 < 0 {
            d.keys.1
        } else {
            d.keys.1 - d.keys.0
        };
        write_key_step(out, "begin_search", "index", &[("index", d.keys.0)]);
        write_key_step(
            out,
            "find_keys",
            "range",
            &[("lastkey", lastkey), ("keystep", d.keys.2), ("limit", 0)],
        );
    } else {
        out.array(0);
    }
    out.array(d.subs.len());
    for s in &d.subs {
        write_info(out, s);
    }
}

fn write_key_spec(out: &mut ReplyBuf, spec: &KeySpec) {
    out.map(3 + usize::from(!spec.notes.is_empty()));
    if !spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    out.set(spec.flags.len());
    for f in spec.flags {
        out.simple(f);
    }
    match spec.begin {
        Begin::Index(i) => write_key_step(out, "begin_search", "index", &[("index", i)]),
        Begin::Keyword(kw, from) => {
            out.bulk(b"begin_search");
            out.map(2);
            out.bulk(b"type");
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(kw.as_bytes());
            out.bulk(b"startfrom");
            out.int(from as i64);
        }
        Begin::Unknown => write_key_step(out, "begin_search", "unknown", &[]),
    }
    match spec.find {
        Find::Range(last, step, limit) => write_key_step(
            out,
            "find_keys",
            "range",
            &[("lastkey", last), ("keystep", step), ("limit", limit)],
        ),
        Find::Keynum(idx, first, step) => write_key_step(
            out,
            "find_keys",
            "keynum",
            &[("keynumidx", idx), ("firstkey", first), ("keystep", step)],
        ),
        Find::Unknown => write_key_step(out, "find_keys", "unknown", &[]),
    }
}

/// One step of a key spec (`begin_search` / `find_keys`): its type and the
/// numeric fields of its spec.
fn write_key_step(out: &mut ReplyBuf, step: &str, kind: &str, spec: &[(&str, i32)]) {
    out.bulk(step.as_bytes());
    out.map(2);
    out.bulk(b"type");
    out.bulk(kind.as_bytes());
    out.bulk(b"spec");
    out.map(spec.len());
    for (name, v) in spec {
        out.bulk(name.as_bytes());
        out.int(*v as i64);
    }
}

/// COMMAND DOCS for one command or subcommand: its 7.0.15 JSON doc, its
/// subcommands in our table's order; the table's own fields for one the
/// JSON files do not know.
fn write_docs(out: &mut ReplyBuf, d: &Described) {
    let subs: Vec<&'static Doc> = d.subs.iter().filter_map(|s| doc(&s.name)).collect();
    if let Some(known) = doc(&d.name) {
        write_doc(out, known, &subs);
        return;
    }
    out.map(3 + usize::from(!d.subs.is_empty()));
    out.bulk(b"summary");
    out.bulk(d.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(d.since.as_bytes());
    out.bulk(b"group");
    out.bulk(d.group.as_bytes());
    if !d.subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(d.subs.len());
        for s in &d.subs {
            out.bulk(s.name.as_bytes());
            write_docs(out, s);
        }
    }
}

/// Find a command or `parent|sub` in the table.
fn lookup_described(cat: &Catalog, name: &[u8]) -> Option<Described> {
    let n = lower(name);
    let (parent, sub) = match n.split_once('|') {
        Some((p, s)) => (p.to_string(), Some(s.to_string())),
        None => (n.clone(), None),
    };
    let c = cat.table.get(parent.as_bytes())?;
    let d = describe(cat, c);
    match sub {
        None => Some(d),
        Some(s) => {
            let full = format!("{}|{}", c.name, s);
            d.subs.into_iter().find(|x| x.name == full)
        }
    }
}

const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

enum ListFilter {
    All,
    Module,
    AclCat(String),
    Pattern(Bytes),
}

impl ListFilter {
    fn keep(&self, d: &Described) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => acl_categories(d).contains(&cat.as_str()),
            ListFilter::Pattern(p) => glob_match(p, d.name.as_bytes(), true),
        }
    }
}

pub(super) fn command_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // The server's own table: `rename-command` renames and removes entries.
    let cat = Catalog {
        table: ctx.srv.table,
        ..Catalog::server()
    };
    command_over(&cat, ctx, args)
}

/// COMMAND and its subcommands over `cat`'s table.
pub(crate) fn command_over(cat: &Catalog, ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let table = cat.table;
    if args.len() == 1 {
        let out = ctx.out();
        out.array(table.all.len());
        for c in &table.all {
            write_info(out, &describe(cat, c));
        }
        return Ok(());
    }
    let sub = subcommand(args, "command")?;
    match sub.as_str() {
        "count" => ctx.out().int(table.all.len() as i64),
        "info" => {
            let out = ctx.out();
            if args.len() == 2 {
                out.array(table.all.len());
                for c in &table.all {
                    write_info(out, &describe(cat, c));
                }
            } else {
                out.array(args.len() - 2);
                for a in &args[2..] {
                    match lookup_described(cat, a) {
                        Some(d) => write_info(out, &d),
                        None => out.null(),
                    }
                }
            }
        }
        "docs" => {
            let list: Vec<Described> = if args.len() == 2 {
                table.all.iter().map(|c| describe(cat, c)).collect()
            } else {
                args[2..]
                    .iter()
                    .filter_map(|a| lookup_described(cat, a))
                    .collect()
            };
            let out = ctx.out();
            out.map(list.len());
            for d in &list {
                out.bulk(d.name.as_bytes());
                write_docs(out, d);
            }
        }
        "list" => {
            let filter = if args.len() == 2 {
                ListFilter::All
            } else if args.len() == 5 && eq_ignore_case(&args[2], "filterby") {
                match lower(&args[3]).as_str() {
                    "module" => ListFilter::Module,
                    "aclcat" => ListFilter::AclCat(format!("@{}", lower(&args[4]))),
                    "pattern" => ListFilter::Pattern(args[4].clone()),
                    _ => return Err(err::SYNTAX.into()),
                }
            } else {
                return Err(err::SYNTAX.into());
            };
            let mut names = Vec::new();
            for c in &table.all {
                let d = describe(cat, c);
                if filter.keep(&d) {
                    names.push(d.name.clone());
                }
                for s in &d.subs {
                    if filter.keep(s) {
                        names.push(s.name.clone());
                    }
                }
            }
            let out = ctx.out();
            out.array(names.len());
            for n in names {
                out.bulk(n.as_bytes());
            }
        }
        "getkeys" => getkeys(cat, ctx, &args[2..], false)?,
        "getkeysandflags" => getkeys(cat, ctx, &args[2..], true)?,
        "help" => help(ctx.out(), "COMMAND", COMMAND_HELP),
        _ => return Err(unknown_sub(&args[1], "command")),
    }
    Ok(())
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS <full command>: its key arguments,
/// with their key-spec flags when asked.
fn getkeys(cat: &Catalog, ctx: &mut Ctx, argv: &[Bytes], with_flags: bool) -> CmdResult {
    let Some(c) = cat.table.get(&argv[0]) else {
        return Err("ERR Invalid command specified".into());
    };
    // A container's subcommand is the command (MEMORY USAGE, OBJECT ...).
    let subs = (cat.subcommands)(c);
    let sub = (!subs.is_empty() && argv.len() > 1).then(|| lower(&argv[1]));
    if sub.as_ref().is_some_and(|s| !subs.contains(&s.as_str())) {
        return Err("ERR Invalid command specified".into());
    }
    let (sub_keyed, specs) = sub_keys_and_specs(c, sub.as_deref());
    // doesCommandHaveKeys: a spec that names keys, or a key finder of its own.
    let has_keys = match specs {
        Some(s) => s.iter().any(|k| !k.flags.contains(&"not_key")) || c.has(MOVABLE_KEYS),
        None => c.first_key > 0 || c.has(MOVABLE_KEYS) || sub_keyed,
    };
    if !has_keys {
        return Err("ERR The command has no key arguments".into());
    }
    if (c.arity > 0 && argv.len() != c.arity as usize)
        || argv.len() < c.arity.unsigned_abs() as usize
    {
        return Err("ERR Invalid number of arguments specified for command".into());
    }
    let keys = keys_with_flags(c, argv);
    if keys.is_empty() {
        // Commands whose keys are optional (MIGRATE, EVAL, FCALL...: 7.0's
        // NO_MANDATORY_KEYS) have none here.
        if doc(c.name).is_some_and(|d| d.extra_flags.contains(&"no_mandatory_keys")) {
            ctx.out().array(0);
            return Ok(());
        }
        return Err("ERR Invalid arguments specified for command".into());
    }
    let out = ctx.out();
    out.array(keys.len());
    for (i, flags) in keys {
        if !with_flags {
            out.bulk(&argv[i]);
            continue;
        }
        out.array(2);
        out.bulk(&argv[i]);
        out.set(flags.len());
        for f in flags {
            out.simple(f);
        }
    }
    Ok(())
}

/// Whether a container's subcommand names a key (MEMORY USAGE, OBJECT ...),
/// and the key specs of the command or subcommand.
fn sub_keys_and_specs(c: &CommandDef, sub: Option<&str>) -> (bool, Option<&'static [KeySpec]>) {
    let sub_keyed = matches!(
        (c.name, sub),
        ("memory", Some("usage"))
            | (
                "object",
                Some("encoding" | "freq" | "idletime" | "refcount")
            )
    );
    let specs = key_specs(&sub.map_or(c.name.to_string(), |s| format!("{}|{s}", c.name)));
    (sub_keyed, specs)
}

/// The key arguments of a command line and their key-spec flags, as 7.0's
/// getKeysFromCommandWithSpecs finds them (COMMAND GETKEYS, ACL key
/// permissions): the specs first, the command's own finder when they cannot
/// say, and the flags SET and BITFIELD vary with their arguments.
pub(crate) fn keys_with_flags(
    c: &CommandDef,
    argv: &[Bytes],
) -> Vec<(usize, &'static [&'static str])> {
    let sub = (!c.subcommands.is_empty() && argv.len() > 1).then(|| lower(&argv[1]));
    let (sub_keyed, specs) = sub_keys_and_specs(c, sub.as_deref());
    let derived: &'static [&'static str] = if c.has(WRITE) {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    // Key specs first, as 7.0 prefers them; the command's own key finder
    // when they cannot say (SORT's STORE, MIGRATE's KEYS).
    let by_specs = specs.map(|s| keys_by_specs(s, argv));
    let own_finder = matches!(c.name, "sort" | "sort_ro" | "migrate");
    let mut keys: Vec<(usize, &'static [&'static str])> = match by_specs {
        Some(Some(k)) if !k.is_empty() || !own_finder => k,
        Some(None) if !own_finder => Vec::new(),
        _ => {
            let positions = if sub_keyed {
                (argv.len() > 2).then_some(vec![2]).unwrap_or_default()
            } else {
                c.keys_in(argv)
            };
            positions
                .into_iter()
                .enumerate()
                .map(|(n, i)| {
                    // SORT's STORE destination: the last spec's flags.
                    let spec = specs.and_then(|s| if n == 0 { s.first() } else { s.last() });
                    let flags = match spec.map(|s| s.flags) {
                        // What migrateGetKeys says of each key.
                        Some(_) if c.name == "migrate" => &["RW", "access", "delete"][..],
                        Some(f) => f,
                        None => derived,
                    };
                    (i, flags)
                })
                .collect()
        }
    };
    // Flags that depend on the arguments (variable_flags): SET with GET
    // reads (setGetKeys), BITFIELD with only GETs only reads (bitfieldGetKeys).
    if keys.is_empty() {
        return keys;
    }
    if c.name == "set" {
        let get = argv.iter().skip(3).any(|a| eq_ignore_case(a, "get"));
        keys[0].1 = if get {
            &["RW", "access", "update"]
        } else {
            &["OW", "update"]
        };
    } else if c.name == "bitfield" {
        let writes = argv
            .iter()
            .skip(2)
            .any(|a| eq_ignore_case(a, "set") || eq_ignore_case(a, "incrby"));
        keys[0].1 = if writes {
            &["RW", "access", "update"]
        } else {
            &["RO", "access"]
        };
    }
    keys
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::server::command_table;

    #[test]
    fn getkeysandflags() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYSANDFLAGS get a"),
            "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYSANDFLAGS sort a store b"),
            "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYSANDFLAGS echo x"),
            "-ERR The command has no key arguments\r\n"
        );
    }

    #[test]
    fn command_commands() {
        let mut k = Kit::new();
        let n = command_table().all.len();
        assert_eq!(k.cmd(1, "COMMAND COUNT"), format!(":{n}\r\n"));
        assert_eq!(
            k.cmd(1, "COMMAND INFO dbsize nosuch"),
            "*2\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n*2\r\n+readonly\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_sum\r\n*0\r\n*0\r\n$-1\r\n"
        );
        let r = k.cmd(1, "COMMAND INFO config");
        assert!(r.starts_with("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n"), "{r}");
        let r = k.cmd(1, "COMMAND");
        assert!(r.starts_with(&format!("*{n}\r\n")));
        let r = k.cmd(1, "COMMAND DOCS config|get");
        assert!(
            r.starts_with("*2\r\n$10\r\nconfig|get\r\n*12\r\n$7\r\nsummary\r\n$42\r\nGet the values of configuration parameters\r\n$5\r\nsince\r\n$5\r\n2.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n"),
            "{r}"
        );
        let r = k.cmd(1, "COMMAND LIST");
        assert!(r.contains("$10\r\nconfig|get\r\n") && r.contains("$4\r\ninfo\r\n"));
        assert_eq!(k.cmd(1, "COMMAND LIST FILTERBY pattern conf*"),
            "*6\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$10\r\nconfig|set\r\n$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n$11\r\nconfig|help\r\n");
        assert_eq!(
            k.cmd(1, "COMMAND LIST FILTERBY foo"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS foo bar"),
            "-ERR Invalid command specified\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS time x"),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS get a b"),
            "-ERR Invalid number of arguments specified for command\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS info x"),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS dbsize"),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n"
        );
        assert_eq!(
            k.cmd(1, "COMMAND foo"),
            "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"
        );
    }
}
