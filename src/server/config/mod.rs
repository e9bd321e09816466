//! Server configuration: the value store behind CONFIG GET/SET/REWRITE and
//! the config file.
//!
//! Values are kept as the text CONFIG GET prints, one slot per directive,
//! indexed by its typed `Key`; numbers and the values the command path reads
//! on every write are parsed once, when set. The table of directives is in
//! `directives`, what each kind accepts in `normalise`, the rewrite text in
//! `rewrite`, and the tokenizer for config files in `lines`.

pub mod args;
pub mod directives;
pub mod lines;
pub mod normalise;
pub mod rewrite;

pub use directives::{find, Directive, Key, Kind, MaxmemoryPolicy, DIRECTIVES};
pub use normalise::{normalise, parse_memory};
pub use rewrite::rewrite_text;

#[derive(Clone, Debug)]
pub struct Config {
    /// Each directive's value as CONFIG GET prints it, at its key's index.
    values: Vec<String>,
    /// The same values read as integers (0 when not one), parsed when set.
    numbers: Vec<i64>,
    /// Absolute path of the config file the server was started with, if any
    /// (INFO `config_file`, CONFIG REWRITE).
    pub config_file: Option<String>,
    /// The text of that file as read at startup (CONFIG REWRITE edits it).
    pub config_text: Option<String>,
    /// Values the command path reads on every write, parsed once per change.
    hot: Hot,
    /// `user <name> <rules...>` directives, in order: the ACL users the
    /// server starts with (arguments after `user`).
    pub users: Vec<Vec<String>>,
    /// `rename-command <old> <new>` directives, in order (`new` empty:
    /// the command is removed).
    pub renames: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default)]
struct Hot {
    maxmemory_policy: MaxmemoryPolicy,
    /// `save` as (seconds, changes) pairs: serverCron asks every tick.
    save_points: Vec<(u64, u64)>,
    /// `client-output-buffer-limit` per class (normal, slave, pubsub):
    /// every reply flush asks.
    obuf_limits: [ObufLimit; 3],
}

/// One class's `client-output-buffer-limit`: hard bytes, soft bytes, soft
/// seconds; zeros for none.
pub type ObufLimit = (u64, u64, u64);

/// The client classes `client-output-buffer-limit` names (masters count
/// as normal clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObufClass {
    Normal = 0,
    Replica = 1,
    PubSub = 2,
}

impl Default for Config {
    fn default() -> Self {
        let mut config = Config {
            values: DIRECTIVES.iter().map(|d| d.default.to_string()).collect(),
            numbers: vec![0; DIRECTIVES.len()],
            config_file: None,
            config_text: None,
            hot: Hot::default(),
            users: Vec::new(),
            renames: Vec::new(),
        };
        for d in DIRECTIVES {
            config.changed(d.key);
        }
        config
    }
}

impl Config {
    /// Set a directive from its arguments (config file, command line, CONFIG SET).
    /// Immutability is not checked here (the config file may set anything); the
    /// error text is the part after "... - " in Redis's messages.
    pub fn set(&mut self, key: Key, args: &[String]) -> Result<(), String> {
        let value = normalise(key.directive(), args, Some(self.get(key)))?;
        self.store(key, value);
        Ok(())
    }

    /// A directive read while loading a config file (and the command line
    /// appended to it): as [`Config::set_by_name`], except that `save`
    /// lines add up, 7.0's rule: the first one replaces the default points,
    /// later ones append theirs, and `save ""` clears them all.
    /// `save_seen` carries the first-line state across the whole load.
    pub fn load_directive(
        &mut self,
        name: &str,
        args: &[String],
        save_seen: &mut bool,
    ) -> Result<(), String> {
        if !name.eq_ignore_ascii_case("save") {
            return self.set_by_name(name, args);
        }
        let clear = args.len() == 1 && args[0].is_empty();
        if clear || !*save_seen {
            *save_seen = true;
            return self.set_by_name(name, args);
        }
        let mut all: Vec<String> = self
            .get(Key::SAVE)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        all.extend(args.iter().cloned());
        self.set_by_name(name, &[all.join(" ")])
    }

    /// `set` for a directive named in text (a config file line), by name or alias.
    pub fn set_by_name(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        if name.eq_ignore_ascii_case("user") && !args.is_empty() {
            // ACLAppendUserForLoading: rules are checked now, applied when the server starts.
            crate::acl::check_user_line(&self.users, args)?;
            self.users.push(args.to_vec());
            return Ok(());
        }
        if name.eq_ignore_ascii_case("rename-command") && args.len() == 2 {
            crate::commands::rename::check(&self.renames, &args[0], &args[1])?;
            self.renames.push((args[0].clone(), args[1].clone()));
            return Ok(());
        }
        let d =
            find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        self.set(d.key, args)
    }

    fn store(&mut self, key: Key, value: String) {
        self.values[key.index()] = value;
        self.changed(key);
    }

    /// Re-parse what is derived from `key`'s text.
    fn changed(&mut self, key: Key) {
        let text = self.values[key.index()].as_str();
        self.numbers[key.index()] = match text.strip_suffix('%') {
            // A percentage is kept negative, as 7.0 keeps it.
            Some(p) => -p.parse::<i64>().unwrap_or(0),
            None => text.parse().unwrap_or(0),
        };
        if key == Key::MAXMEMORY_POLICY {
            self.hot.maxmemory_policy = MaxmemoryPolicy::parse(text).unwrap_or_default();
        } else if key == Key::SAVE {
            self.hot.save_points = super::persistence::parse_save_points(text);
        } else if key == Key::CLIENT_OUTPUT_BUFFER_LIMIT {
            use crate::replication::master::output_buffer_limit;
            self.hot.obuf_limits =
                ["normal", "slave", "pubsub"].map(|c| output_buffer_limit(text, c));
        }
    }

    /// `client-output-buffer-limit` for one class of clients.
    pub fn obuf_limit(&self, class: ObufClass) -> ObufLimit {
        self.hot.obuf_limits[class as usize]
    }

    /// The sizes up to which collections keep their compact encoding.
    pub fn encoding_limits(&self) -> crate::keyspace::EncodingLimits {
        let n = |k| self.get_i64(k).max(0) as usize;
        crate::keyspace::EncodingLimits {
            hash_entries: n(Key::HASH_MAX_LISTPACK_ENTRIES),
            hash_value: n(Key::HASH_MAX_LISTPACK_VALUE),
            set_intset_entries: n(Key::SET_MAX_INTSET_ENTRIES),
            zset_entries: n(Key::ZSET_MAX_LISTPACK_ENTRIES),
            zset_value: n(Key::ZSET_MAX_LISTPACK_VALUE),
        }
    }

    /// `maxmemory` in bytes (0: no limit).
    pub fn maxmemory(&self) -> u64 {
        self.get_i64(Key::MAXMEMORY).max(0) as u64
    }

    pub fn maxmemory_policy(&self) -> MaxmemoryPolicy {
        self.hot.maxmemory_policy
    }

    /// `min-replicas-to-write`.
    pub fn min_replicas_to_write(&self) -> i64 {
        self.get_i64(Key::MIN_REPLICAS_TO_WRITE)
    }

    /// `save` parsed into (seconds, changes) pairs.
    pub fn save_points(&self) -> &[(u64, u64)] {
        &self.hot.save_points
    }

    /// The value as CONFIG GET prints it.
    pub fn get(&self, key: Key) -> &str {
        &self.values[key.index()]
    }

    /// The value of a directive named in text (CONFIG GET), by name or alias.
    pub fn get_by_name(&self, name: &str) -> Option<&str> {
        find(name).map(|d| self.get(d.key))
    }

    /// The value as an integer (0 when it is not one), without parsing.
    pub fn get_i64(&self, key: Key) -> i64 {
        self.numbers[key.index()]
    }

    /// True when the value is `yes`.
    pub fn get_bool(&self, key: Key) -> bool {
        self.get(key) == "yes"
    }

    /// All directives and their values, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Directive, &str)> {
        DIRECTIVES
            .iter()
            .zip(self.values.iter().map(|v| v.as_str()))
    }

    /// CONFIG SET with several `name value` pairs, all or nothing, with Redis's
    /// error texts (`ERR Unknown option ...`, `ERR CONFIG SET failed ...`).
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), String> {
        self.set_many_from(pairs, false)
    }

    /// [`Config::set_many`] for a client; `local`: it is on a loopback
    /// address (`enable-protected-configs local` lets it set protected ones).
    pub fn set_many_from(&mut self, pairs: &[(String, String)], local: bool) -> Result<(), String> {
        let protected_ok = match self.get(Key::ENABLE_PROTECTED_CONFIGS) {
            "yes" => true,
            "local" => local,
            _ => false,
        };
        let mut seen: Vec<Key> = Vec::new();
        let mut new: Vec<(Key, String)> = Vec::new();
        let failed = |arg: &str, msg: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {msg}")
        };
        // Redis first resolves every name, then validates every value.
        let mut resolved = Vec::new();
        for (name, value) in pairs {
            let Some(d) = find(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            if d.immutable {
                return Err(failed(name, "can't set immutable config"));
            }
            if d.protected && !protected_ok {
                return Err(failed(name, "can't set protected config"));
            }
            if seen.contains(&d.key) {
                return Err(failed(name, "duplicate parameter"));
            }
            seen.push(d.key);
            resolved.push((d, name, value));
        }
        for (d, name, value) in resolved {
            let v = normalise(d, std::slice::from_ref(value), Some(self.get(d.key)))
                .map_err(|e| failed(name, &e))?;
            new.push((d.key, v));
        }
        for (key, v) in new {
            self.store(key, v);
        }
        Ok(())
    }

    /// CONFIG REWRITE over `current`, the file's text now (7.0 reads the
    /// file again; without it, the text read at startup or last written):
    /// the path and the new text, or `None` without a config file.
    /// `users`: the ACL users' lines (`None` with an aclfile).
    pub fn rewrite(
        &self,
        current: Option<String>,
        users: Option<Vec<String>>,
        force_all: bool,
    ) -> Option<(String, String)> {
        let path = self.config_file.clone()?;
        let old = current
            .or_else(|| self.config_text.clone())
            .unwrap_or_default();
        Some((
            path,
            rewrite::rewrite_text_with(self, &old, users, force_all),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_numbers() {
        let c = Config::default();
        for d in DIRECTIVES {
            assert_eq!(c.get(d.key), d.default);
            assert_eq!(c.get_by_name(d.name), Some(d.default));
        }
        assert_eq!(c.get_by_name("SLAVEOF"), Some(""));
        assert_eq!(c.get_by_name("nope"), None);
        assert_eq!(c.get_i64(Key::PORT), 6379);
        assert_eq!(c.get_i64(Key::LIST_MAX_LISTPACK_SIZE), -2);
        assert_eq!(c.get_i64(Key::BIND), 0);
        assert!(c.get_bool(Key::PROTECTED_MODE));
        assert_eq!(c.maxmemory(), 0);
        assert_eq!(c.maxmemory_policy(), MaxmemoryPolicy::Noeviction);
        assert_eq!(c.save_points(), &[(3600, 1), (300, 100), (60, 10000)]);
    }

    #[test]
    fn hot_values_follow_sets() {
        let mut c = Config::default();
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        c.set_many(&[p("maxmemory", "2mb"), p("maxmemory-policy", "allkeys-lfu")])
            .unwrap();
        assert_eq!(c.maxmemory(), 2 << 20);
        assert_eq!(c.maxmemory_policy(), MaxmemoryPolicy::AllkeysLfu);
        c.set_by_name("save", &["".into()]).unwrap();
        assert!(c.save_points().is_empty());
        c.set_by_name("min-slaves-to-write", &["2".into()]).unwrap();
        assert_eq!(c.min_replicas_to_write(), 2);
        assert_eq!(
            c.set_by_name("nope", &[]).unwrap_err(),
            "Bad directive or wrong number of arguments"
        );
    }

    #[test]
    fn set_many_errors() {
        let mut c = Config::default();
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            c.set_many(&[p("foo", "1")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            c.set_many(&[p("hz", "abc")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            c.set_many(&[p("daemonize", "yes")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            c.set_many(&[p("dir", "/tmp")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            c.set_many(&[p("hz", "5"), p("hz", "6")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
        );
        assert!(c.set_many(&[p("hz", "5"), p("loglevel", "bad")]).is_err());
        assert_eq!(c.get(Key::HZ), "10");
        c.set_many(&[
            p("hz", "5"),
            p("maxmemory", "1mb"),
            p("slave-read-only", "no"),
        ])
        .unwrap();
        assert_eq!(c.get(Key::HZ), "5");
        assert_eq!(c.get(Key::MAXMEMORY), "1048576");
        assert_eq!(c.get(Key::REPLICA_READ_ONLY), "no");
        assert_eq!(
            c.set_many(&[p("proto-max-bulk-len", "10")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            c.set_many(&[p("save", "1")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
        );
        c.set_many(&[p("client-output-buffer-limit", "replica 1mb 2mb 3")])
            .unwrap();
        assert_eq!(
            c.get(Key::CLIENT_OUTPUT_BUFFER_LIMIT),
            "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60"
        );
        c.set_many(&[p("notify-keyspace-events", "KEA")]).unwrap();
        assert_eq!(c.get(Key::NOTIFY_KEYSPACE_EVENTS), "AKE");
    }
}
