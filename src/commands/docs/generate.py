#!/usr/bin/env python3
"""Writes generated.rs (beside this file) from Redis 7.0.15's command JSON files.

Rerun from the repository root after `fetch github:redis/redis` (any clone works):
    python3 src/commands/docs/generate.py /work/.mirror/redis+redis/repo
The argument is a git directory holding tag 7.0.15 (or a checkout: pass --dir PATH
to read PATH/src/commands/*.json instead). Then `cargo fmt` is not needed: the
output is marked #[rustfmt::skip].

What it keeps is what COMMAND DOCS / COMMAND INFO print, the way Redis's own
utils/generate-command-code.py turns the JSON into C: argument names lower-cased,
tokens upper-cased, empty strings meaning absent, flags in the order server.c
prints them.
"""
import json
import os
import subprocess
import sys

TAG = "7.0.15"
HERE = os.path.dirname(os.path.abspath(__file__))

# COMMAND_GROUP_STR's spelling where it differs from the JSON's.
GROUP_NAMES = {"sorted_set": "sorted-set"}
# Command flags we model (src/commands/mod.rs `flags`); the others
# (NO_MANDATORY_KEYS, PROTECTED, TOUCHES_ARBITRARY_KEYS) are kept as names.
MODELLED_FLAGS = {
    "WRITE", "READONLY", "DENYOOM", "ADMIN", "PUBSUB", "NOSCRIPT", "BLOCKING",
    "LOADING", "STALE", "SKIP_MONITOR", "SKIP_SLOWLOG", "FAST", "NO_AUTH",
    "MAY_REPLICATE", "NO_MULTI", "ALLOW_BUSY", "SENTINEL", "ONLY_SENTINEL",
    "NO_ASYNC_LOADING", "ASKING",
}
# addReplyFlagsForKeyArgs's order and names.
KEY_FLAGS = [("RO", "RO"), ("RW", "RW"), ("OW", "OW"), ("RM", "RM"),
             ("ACCESS", "access"), ("UPDATE", "update"), ("INSERT", "insert"),
             ("DELETE", "delete"), ("NOT_KEY", "not_key"),
             ("INCOMPLETE", "incomplete"), ("VARIABLE_FLAGS", "variable_flags")]


def load(source):
    """name -> desc for every JSON file of the tag."""
    out = []
    if source.startswith("--dir="):
        d = os.path.join(source[6:], "src", "commands")
        for f in sorted(os.listdir(d)):
            if f.endswith(".json"):
                with open(os.path.join(d, f)) as fh:
                    out.append(json.load(fh))
        return out
    files = subprocess.check_output(
        ["git", "--git-dir", source, "ls-tree", "--name-only", TAG, "src/commands/"],
        text=True).split()
    for f in files:
        if f.endswith(".json"):
            out.append(json.loads(subprocess.check_output(
                ["git", "--git-dir", source, "show", "%s:%s" % (TAG, f)])))
    return out


def c_text(v):
    """The string a C literal `"v"` denotes (the generator pastes JSON text
    between quotes: `""` pairs vanish, as in MIGRATE's empty-string token)."""
    assert "\\" not in v, v
    return v.replace('"', "")


def rs(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def opt(desc, field, upper=False):
    v = desc.get(field)
    if not v:
        return '""'
    return rs(c_text(v.upper() if upper else v))


# The arguments of a doc are packed into one string (COMMAND DOCS is their
# only reader, and a tree of static structs cost the wasm build ~60 KB of
# pointers): per argument, 8 fields separated by US -- name, type (index in
# ARG_TYPE_ORDER), key spec index ("" if none), token ("" if none, else "="
# and the token), summary, since, deprecated_since, flags (a digit) -- then
# the nested arguments of a oneof / block between STX and ETX, then RS.
US, RS, STX, ETX = "\x1f", "\x1e", "\x02", "\x03"
ARG_TYPE_ORDER = ["string", "integer", "double", "key", "pattern", "unix-time",
                  "pure-token", "oneof", "block"]


def arg_packed(a):
    flags = ((1 if a.get("optional") else 0) | (2 if a.get("multiple") else 0)
             | (4 if a.get("multiple_token") else 0))
    token = a.get("token")
    token = "=" + c_text(token.upper()) if token else ""
    ksi = a.get("key_spec_index", -1)
    fields = [a["name"].lower(), str(ARG_TYPE_ORDER.index(a["type"])),
              "" if ksi < 0 else str(ksi), token, c_text(a.get("summary") or ""),
              c_text(a.get("since") or ""), c_text(a.get("deprecated_since") or ""),
              str(flags)]
    for f in fields:
        assert not any(c in f for c in (US, RS, STX, ETX)), f
    subs = ""
    if a["type"] in ("oneof", "block"):
        subs = STX + args_packed(a["arguments"]) + ETX
    return US.join(fields) + subs + RS


def args_packed(args):
    return "".join(arg_packed(a) for a in args or [])


def args_code(args):
    return rs(args_packed(args)).replace(US, "\\x1f").replace(RS, "\\x1e") \
        .replace(STX, "\\x02").replace(ETX, "\\x03")


def key_spec_code(s):
    flags = [name for (k, name) in KEY_FLAGS if k in s.get("flags", [])]
    unknown = set(s.get("flags", [])) - {k for k, _ in KEY_FLAGS}
    assert not unknown, unknown
    bs = s["begin_search"]
    if bs.get("index"):
        begin = "Begin::Index(%d)" % bs["index"]["pos"]
    elif bs.get("keyword"):
        begin = "Begin::Keyword(%s, %d)" % (rs(bs["keyword"]["keyword"]), bs["keyword"]["startfrom"])
    else:
        assert "unknown" in bs
        begin = "Begin::Unknown"
    fk = s["find_keys"]
    if fk.get("range"):
        r = fk["range"]
        find = "Find::Range(%d, %d, %d)" % (r["lastkey"], r["step"], r["limit"])
    elif fk.get("keynum"):
        k = fk["keynum"]
        find = "Find::Keynum(%d, %d, %d)" % (k["keynumidx"], k["firstkey"], k["step"])
    else:
        assert "unknown" in fk
        find = "Find::Unknown"
    return "ks(%s, &[%s], %s, %s)" % (opt(s, "notes"), ", ".join(rs(f) for f in flags), begin, find)


def doc_code(name, d):
    flags = [f for f in d.get("command_flags", []) if f in MODELLED_FLAGS]
    extra = [f.lower() for f in d.get("command_flags", []) if f not in MODELLED_FLAGS]
    doc_flags = {"DEPRECATED": "DEPRECATED", "SYSCMD": "SYSCMD"}
    history = "".join("(%s, %s), " % (rs(c_text(h[0])), rs(c_text(h[1]))) for h in d.get("history") or [])
    tips = ", ".join(rs(t.lower()) for t in d.get("command_tips") or [])
    specs = ", ".join(key_spec_code(s) for s in d.get("key_specs") or [])
    return (
        "    Doc {\n"
        "        name: %s,\n        summary: %s,\n        since: %s,\n        group: %s,\n"
        "        complexity: %s,\n        doc_flags: %s,\n        deprecated_since: %s,\n"
        "        replaced_by: %s,\n        history: &[%s],\n        tips: &[%s],\n"
        "        arity: %d,\n        flags: %s,\n        extra_flags: &[%s],\n"
        "        key_specs: &[%s],\n        args: %s,\n    },\n"
    ) % (
        rs(name), opt(d, "summary"), opt(d, "since"), rs(GROUP_NAMES.get(d["group"], d["group"])),
        opt(d, "complexity"),
        "|".join(doc_flags[f] for f in d.get("doc_flags", [])) or "0",
        opt(d, "deprecated_since"), opt(d, "replaced_by"), history, tips,
        d["arity"], "|".join(flags) or "0", ", ".join(rs(f) for f in extra),
        specs, args_code(d.get("arguments")))


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/redis+redis/repo"
    entries = {}
    for f in load(source):
        for name, d in f.items():
            full = name.lower()
            if d.get("container"):
                full = d["container"].lower() + "|" + full
            entries[full] = d
    out = [
        "// Generated by src/commands/docs/generate.py from Redis %s's\n" % TAG,
        "// src/commands/*.json: do not edit, rerun it (see its header).\n\n",
        "use super::*;\n",
        "use crate::commands::command_docs::{ks, Begin, Find};\n",
        "use crate::commands::flags::*;\n\n",
        "/// Every command and subcommand (`parent|sub`), sorted by name.\n",
        "#[rustfmt::skip]\n",
        "pub static DOCS: &[Doc] = &[\n",
    ]
    for name in sorted(entries):
        out.append(doc_code(name, entries[name]))
    out.append("];\n")
    with open(os.path.join(HERE, "generated.rs"), "w") as fh:
        fh.write("".join(out))
    print("%d entries" % len(entries))


if __name__ == "__main__":
    main()
