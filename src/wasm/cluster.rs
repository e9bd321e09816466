//! `Cluster`: one deterministic simulation per wasm instance.

use super::js::{self, Obj, ToJs};
use super::status::{self, Status};
use super::tap::{MsgJs, Tap};
use super::{frame_to_js, settings_from_js, to_js, to_port, to_u64};
use crate::node::Millis;
use crate::sim::lessons::{self, Lesson};
use crate::sim::scenario::{self, Action, NewHost, Outcome, SCENARIO_START};
use crate::sim::{factory, Sim, TraceKind};
use wasm_bindgen::prelude::*;

/// A simulated cluster. Every action that succeeds is recorded; replaying the
/// recorded actions with the same seed gives the same trace, byte for byte
/// (natively too: see `sim::scenario`).
#[wasm_bindgen]
pub struct Cluster {
    sim: Sim,
    seed: u64,
    actions: Vec<Action>,
    /// Decodes the messages nodes receive, for the page's animation.
    tap: Tap,
    /// A loaded lesson and the index of its next scheduled action.
    lesson: Option<(Lesson, usize)>,
}

/// A scenario as JSON: `{ "version": 1, "seed": 1, "actions": [ ... ] }` with
/// actions such as `{"op":"add","kind":"server","name":"a","ip":"10.0.0.1",
/// "port":6379,"config":"..."}`, `{"op":"runFor","ms":1000}`,
/// `{"op":"kill","name":"a"}`, `{"op":"command","name":"a","args":["SET","k","v"]}`.
fn scenario_js(seed: u64, actions: &[Action]) -> JsValue {
    Obj::new()
        .set("version", &1u32)
        .set("seed", &seed)
        .put("actions", js::list(actions.iter().map(action_js)))
        .done()
}

/// A host's fields (`add`'s, and `Node.tutorialTopology`'s entries).
fn host_fields(o: Obj, h: &NewHost) -> Obj {
    o.set("kind", &h.kind)
        .set("name", &h.name)
        .set("ip", &h.ip)
        .set("port", &h.port)
        .set("config", &h.config)
        .set("names", &h.names)
        .set("banner", &h.banner)
        .set("refusal", &h.refusal)
        .set("published", &h.published)
}

impl ToJs for NewHost {
    fn to_js(&self) -> JsValue {
        host_fields(Obj::new(), self).done()
    }
}

/// `{op, ...}`: the action's name in camelCase and its fields.
fn action_js(a: &Action) -> JsValue {
    let op = |name: &str| Obj::new().set("op", name);
    match a {
        Action::Add(h) => host_fields(op("add"), h),
        Action::RunUntil(t) => op("runUntil").set("t", t),
        Action::RunFor(ms) => op("runFor").set("ms", ms),
        Action::Step => op("step"),
        Action::Kill(name) => op("kill").set("name", name),
        Action::MachineCrash(name) => op("machineCrash").set("name", name),
        Action::Restart(name) => op("restart").set("name", name),
        Action::Pause(name, ms) => op("pause").set("name", name).set("ms", ms),
        Action::Partition(a, b) => op("partition").set("a", a).set("b", b),
        Action::Isolate(name) => op("isolate").set("name", name),
        Action::Heal => op("heal"),
        Action::HealLink(a, b) => op("healLink").set("a", a).set("b", b),
        Action::Command(name, args) => op("command").set("name", name).set("args", args),
    }
    .done()
}

/// `action_js` read back; fields beyond the action's are ignored.
fn action_from_js(v: &JsValue) -> Result<Action, String> {
    let op = js::string(v, "action", "op")?;
    let what = op.as_str();
    let s = |key| js::string(v, what, key);
    let n = |key| js::uint(v, what, key);
    Ok(match what {
        "add" => {
            let published = js::opt_array(v, what, "published")?
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let port = js::uint(p, "published", "1")?;
                    let port = u16::try_from(port)
                        .map_err(|_| format!("published: port {port} is out of range"))?;
                    Ok((js::string(p, "published", "0")?, port))
                })
                .collect::<Result<_, String>>()?;
            let port = n("port")?;
            Action::Add(NewHost {
                kind: s("kind")?,
                name: s("name")?,
                ip: s("ip")?,
                port: u16::try_from(port)
                    .map_err(|_| format!("add: port {port} is out of range"))?,
                config: s("config")?,
                names: js::opt_strings(v, what, "names")?.unwrap_or_default(),
                banner: js::opt_strings(v, what, "banner")?.unwrap_or_default(),
                refusal: js::opt_strings(v, what, "refusal")?,
                published,
            })
        }
        "runUntil" => Action::RunUntil(n("t")?),
        "runFor" => Action::RunFor(n("ms")?),
        "step" => Action::Step,
        "kill" => Action::Kill(s("name")?),
        "machineCrash" => Action::MachineCrash(s("name")?),
        "restart" => Action::Restart(s("name")?),
        "pause" => Action::Pause(s("name")?, n("ms")?),
        "partition" => Action::Partition(s("a")?, s("b")?),
        "isolate" => Action::Isolate(s("name")?),
        "heal" => Action::Heal,
        "healLink" => Action::HealLink(s("a")?, s("b")?),
        "command" => Action::Command(
            s("name")?,
            js::opt_strings(v, what, "args")?.ok_or("command: missing field 'args'")?,
        ),
        other => return Err(format!("unknown action op '{other}'")),
    })
}

/// One trace entry as JS sees it: `{index, time, host, kind, text}`.
fn trace_js(index: usize, e: &crate::sim::TraceEntry) -> JsValue {
    Obj::new()
        .set("index", &index)
        .set("time", &e.time)
        .set("host", &e.host)
        .set("kind", kind_name(&e.kind))
        .set("text", &e.text)
        .done()
}

fn kind_name(k: &TraceKind) -> &'static str {
    match k {
        TraceKind::Start => "start",
        TraceKind::Crash => "crash",
        TraceKind::Pause => "pause",
        TraceKind::Net => "net",
        TraceKind::Log => "log",
        TraceKind::Role => "role",
        TraceKind::Message => "message",
        TraceKind::Sentinel => "sentinel",
        TraceKind::Script => "script",
        TraceKind::Other => "other",
    }
}

/// One node's state as the UI shows it: where it is and whether it runs,
/// then what it says of itself (`status::Status`, the same as `Node.status()`).
struct NodeJs {
    name: String,
    addr: String,
    ip: String,
    port: u16,
    kind: String,
    /// The process runs (not crashed).
    up: bool,
    /// The process is frozen (pause).
    paused: bool,
    status: Status,
}

impl ToJs for NodeJs {
    fn to_js(&self) -> JsValue {
        let o = Obj::new()
            .set("name", &self.name)
            .set("addr", &self.addr)
            .set("ip", &self.ip)
            .set("port", &self.port)
            .set("kind", &self.kind)
            .set("up", &self.up)
            .set("paused", &self.paused);
        self.status.fields(o).done()
    }
}

impl Cluster {
    /// The simulation, for Rust callers (tests).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    pub fn sim_mut(&mut self) -> &mut Sim {
        &mut self.sim
    }

    /// The recorded actions.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Apply and record an action.
    pub fn act(&mut self, action: Action) -> Result<Outcome, JsError> {
        let out = scenario::apply(&mut self.sim, &action).map_err(|e| JsError::new(&e))?;
        self.tap.wrap(&mut self.sim);
        match action {
            // Running is recorded as "run until now", and consecutive runs
            // merge into one (same events, same order): a page that runs a few
            // ms every frame keeps a short scenario.
            Action::RunFor(_) | Action::RunUntil(_) => {
                let run = Action::RunUntil(self.sim.now);
                match self.actions.last_mut() {
                    Some(last @ Action::RunUntil(_)) => *last = run,
                    _ => self.actions.push(run),
                }
            }
            other => self.actions.push(other),
        }
        Ok(out)
    }

    /// Run to the absolute time `t`, applying the loaded lesson's actions
    /// that fall due on the way, each recorded (run until its time, then the
    /// action) so that the exported scenario replays exactly.
    fn run_to(&mut self, t: Millis) -> Result<(), JsError> {
        self.apply_due(t)?;
        if t > self.sim.now {
            self.act(Action::RunUntil(t))?;
        }
        Ok(())
    }

    /// Apply the lesson's actions due at or before `t`.
    fn apply_due(&mut self, t: Millis) -> Result<(), JsError> {
        loop {
            let Some((lesson, next)) = &self.lesson else {
                return Ok(());
            };
            let Some((at, action)) = lesson.schedule.get(*next).cloned() else {
                return Ok(());
            };
            if at > t {
                return Ok(());
            }
            if let Some((_, next)) = &mut self.lesson {
                *next += 1;
            }
            // As `lessons::advance`: run until the action's time (events at
            // that very time first), then apply it.
            self.act(Action::RunUntil(at.max(self.sim.now)))?;
            // A scheduled action that cannot apply (e.g. a node already
            // down) is skipped, as `lessons::advance` reports and goes on.
            let _ = self.act(action);
        }
    }

    fn add(
        &mut self,
        kind: &str,
        name: &str,
        ip: &str,
        port: f64,
        config: &str,
    ) -> Result<(), JsError> {
        if name.trim().is_empty() {
            return Err(JsError::new("a node needs a name"));
        }
        if ip.trim().is_empty() {
            return Err(JsError::new("a node needs an IP address"));
        }
        self.act(Action::Add(NewHost::new(
            kind,
            name,
            ip,
            to_port(port)?,
            config,
        )))
        .map(|_| ())
    }

    fn node_state(&mut self, id: usize) -> NodeJs {
        let h = &self.sim.hosts[id];
        let mut n = NodeJs {
            name: h.name.clone(),
            addr: h.addr.to_string(),
            ip: h.addr.host.clone(),
            port: h.addr.port,
            kind: h.spec.kind.clone(),
            up: h.node.is_some(),
            paused: h.node.is_some() && h.paused_until > self.sim.now,
            status: Status::default(),
        };
        let sim = &mut self.sim;
        n.status = status::status(|argv| sim.query(id, argv));
        n
    }
}

#[wasm_bindgen]
impl Cluster {
    /// An empty cluster whose virtual clock starts at 2026-01-01T00:00:00Z.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: f64) -> Result<Cluster, JsError> {
        let seed = to_u64("seed", seed)?;
        Ok(Cluster {
            sim: Sim::new(seed, SCENARIO_START),
            seed,
            actions: Vec::new(),
            tap: Tap::default(),
            lesson: None,
        })
    }

    /// The seed this cluster was made with.
    #[wasm_bindgen(getter)]
    pub fn seed(&self) -> f64 {
        self.seed as f64
    }

    /// Whether this build can run sentinel nodes.
    #[wasm_bindgen(js_name = sentinelAvailable)]
    pub fn sentinel_available() -> bool {
        factory::SENTINEL_AVAILABLE
    }

    /// Add a Redis server; `configText` is redis.conf text.
    #[wasm_bindgen(js_name = addServer)]
    pub fn add_server(
        &mut self,
        name: &str,
        ip: &str,
        port: f64,
        config_text: &str,
    ) -> Result<(), JsError> {
        self.add("server", name, ip, port, config_text)
    }

    /// Add a sentinel; `configText` is sentinel.conf text.
    #[wasm_bindgen(js_name = addSentinel)]
    pub fn add_sentinel(
        &mut self,
        name: &str,
        ip: &str,
        port: f64,
        config_text: &str,
    ) -> Result<(), JsError> {
        self.add("sentinel", name, ip, port, config_text)
    }

    /// Build the tutorial topology (redis_master, redis_slave1/2, and the
    /// three sentinels once they exist) on this cluster.
    pub fn tutorial(&mut self) -> Result<(), JsError> {
        for a in scenario::tutorial_actions() {
            self.act(a)?;
        }
        Ok(())
    }

    /// Add the services of a Compose file (YAML text): one node per
    /// service, named after it, answering to its names; the service names
    /// in start order. A file the parser or planner rejects is an error
    /// naming what is wrong, and nothing is added.
    #[wasm_bindgen(js_name = loadCompose)]
    pub fn load_compose(&mut self, yaml: &str) -> Result<Vec<String>, JsError> {
        let actions = crate::sim::compose::load(yaml).map_err(|e| JsError::new(&e))?;
        let mut names = Vec::new();
        for a in actions {
            if let Action::Add(h) = &a {
                names.push(h.name.clone());
            }
            self.act(a)?;
        }
        Ok(names)
    }

    /// The tutorial's own Compose file, built in.
    #[wasm_bindgen(js_name = tutorialCompose)]
    pub fn tutorial_compose() -> String {
        crate::sim::compose::tutorial_yaml().to_string()
    }

    /// The ids of the one-click lessons (scenarios), in the page's order.
    pub fn lessons() -> Vec<String> {
        lessons::LESSON_IDS.iter().map(|s| s.to_string()).collect()
    }

    /// Set up lesson `id` with these sentinel settings (see `tutorialWith`);
    /// its timed actions are applied, and recorded, as the clock reaches them
    /// (runUntil, runFor, step).
    #[wasm_bindgen(js_name = loadLesson)]
    pub fn load_lesson(&mut self, id: &str, settings: JsValue) -> Result<(), JsError> {
        let s = settings_from_js(settings)?;
        let lesson = lessons::lesson(id, &s).map_err(|e| JsError::new(&e))?;
        for a in lesson.setup.iter().cloned() {
            self.act(a)?;
        }
        self.lesson = Some((lesson, 0));
        Ok(())
    }

    /// The loaded lesson's id, or null.
    #[wasm_bindgen(getter, js_name = lessonId)]
    pub fn lesson_id(&self) -> Option<String> {
        self.lesson.as_ref().map(|(l, _)| l.id.to_string())
    }

    /// Absolute virtual time by which the loaded lesson has played out, or null.
    #[wasm_bindgen(getter, js_name = lessonEnd)]
    pub fn lesson_end(&self) -> Option<f64> {
        self.lesson.as_ref().map(|(l, _)| l.end as f64)
    }

    /// The tutorial topology with these sentinel settings
    /// (`{quorum, downAfterMs, failoverTimeoutMs, parallelSyncs}`, each optional).
    #[wasm_bindgen(js_name = tutorialWith)]
    pub fn tutorial_with(&mut self, settings: JsValue) -> Result<(), JsError> {
        let s = settings_from_js(settings)?;
        for a in scenario::tutorial_actions_with(&s) {
            self.act(a)?;
        }
        Ok(())
    }

    /// sentinel.conf text monitoring `mymaster` at `ip:port` with these settings.
    #[wasm_bindgen(js_name = sentinelConfig)]
    pub fn sentinel_config(ip: &str, port: f64, settings: JsValue) -> Result<String, JsError> {
        let s = settings_from_js(settings)?;
        let port = to_port(port)?;
        Ok(scenario::sentinel_conf(ip, &s)
            .replace(&format!(" {ip} 6379 "), &format!(" {ip} {port} ")))
    }

    /// redis.conf text of a server like the tutorial's, replicating `ip:port`
    /// (or a master when `ip` is empty).
    #[wasm_bindgen(js_name = serverConfig)]
    pub fn server_config(ip: &str, port: f64) -> Result<String, JsError> {
        if ip.is_empty() {
            return Ok(scenario::tutorial_server_config(None));
        }
        Ok(scenario::tutorial_server_config(Some((ip, to_port(port)?))))
    }

    /// Ask a node out of band (no time passes, nothing is traced or
    /// recorded): the reply as `redis-cli` prints it, or null if the node is
    /// down, paused or cannot answer at once. For the page's polling
    /// (e.g. `LLEN writes` on the current master).
    pub fn peek(&mut self, name: &str, line: &str) -> Option<String> {
        let id = self.sim.host_by_name(name)?;
        status::peek(line, |argv| self.sim.query(id, argv))
    }

    /// Decoded messages from index `i` on (the last 4096 are kept):
    /// `[{index, time, from, to, kind, name, bytes}]`, `from`/`to` node names
    /// ("client" for the page's own client). Kinds: ping, info, hello, vote,
    /// replicaof, psync, rdb, stream, ack, client, other.
    #[wasm_bindgen(js_name = messagesSince)]
    pub fn messages_since(&self, i: usize) -> Result<JsValue, JsError> {
        let names: crate::vecmap::VecMap<&str, &str> = self
            .sim
            .hosts
            .iter()
            .map(|h| (h.addr.host.as_str(), h.name.as_str()))
            .collect();
        let name_of = |ip: &str| -> String {
            names
                .get(ip)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "client".into())
        };
        let shared = self.tap.shared.borrow();
        let owned: Vec<(usize, String, String, &super::tap::Msg)> = shared
            .since(i)
            .map(|(k, m)| (k, name_of(&m.from), name_of(&m.to), m))
            .collect();
        let v: Vec<_> = owned
            .iter()
            .map(|(k, from, to, m)| MsgJs {
                from,
                to,
                ..m.js(Some(*k))
            })
            .collect();
        to_js(&v)
    }

    /// Index the next decoded message will have.
    #[wasm_bindgen(js_name = messagesLength)]
    pub fn messages_length(&self) -> usize {
        self.tap.shared.borrow().len()
    }

    /// Run every event up to the absolute virtual time `ms`.
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, ms: f64) -> Result<(), JsError> {
        let t = to_u64("time", ms)?;
        self.run_to(t)
    }

    /// Run `ms` virtual milliseconds.
    #[wasm_bindgen(js_name = runFor)]
    pub fn run_for(&mut self, ms: f64) -> Result<(), JsError> {
        let ms = to_u64("ms", ms)?;
        if ms > 0 {
            self.run_to(self.sim.now.saturating_add(ms))?;
        }
        Ok(())
    }

    /// Process the next event; false if nothing is scheduled.
    pub fn step(&mut self) -> Result<bool, JsError> {
        let now = self.sim.now;
        self.apply_due(now)?;
        match self.act(Action::Step)? {
            Outcome::Stepped(b) => Ok(b),
            _ => Ok(false),
        }
    }

    /// Virtual time now (unix ms).
    pub fn now(&self) -> f64 {
        self.sim.now as f64
    }

    /// Crash a node (its memory is gone; peers see connections reset).
    pub fn kill(&mut self, name: &str) -> Result<(), JsError> {
        self.act(Action::Kill(name.into())).map(|_| ())
    }

    /// The host's machine goes down: unlike `kill`, file bytes not synced
    /// yet (an AOF without `appendfsync always`) are lost.
    #[wasm_bindgen(js_name = machineCrash)]
    pub fn machine_crash(&mut self, name: &str) -> Result<(), JsError> {
        self.act(Action::MachineCrash(name.into())).map(|_| ())
    }

    /// Start a node again from its config.
    pub fn restart(&mut self, name: &str) -> Result<(), JsError> {
        self.act(Action::Restart(name.into())).map(|_| ())
    }

    /// Freeze a node for `ms` virtual milliseconds.
    pub fn pause(&mut self, name: &str, ms: f64) -> Result<(), JsError> {
        let ms = to_u64("ms", ms)?;
        self.act(Action::Pause(name.into(), ms)).map(|_| ())
    }

    /// Cut the network between two nodes.
    pub fn partition(&mut self, a: &str, b: &str) -> Result<(), JsError> {
        self.act(Action::Partition(a.into(), b.into())).map(|_| ())
    }

    /// Cut a node off from everyone.
    pub fn isolate(&mut self, name: &str) -> Result<(), JsError> {
        self.act(Action::Isolate(name.into())).map(|_| ())
    }

    /// Remove every network fault.
    pub fn heal(&mut self) -> Result<(), JsError> {
        self.act(Action::Heal).map(|_| ())
    }

    /// Remove the network faults between two nodes only (a partition of
    /// that pair, or that pair's part of an isolation).
    #[wasm_bindgen(js_name = healLink)]
    pub fn heal_link(&mut self, a: &str, b: &str) -> Result<(), JsError> {
        self.act(Action::HealLink(a.into(), b.into())).map(|_| ())
    }

    /// Send a command as a client and run the simulation until the reply
    /// (at most 5 s of virtual time). Returns the reply as a plain value (see
    /// `frame_to_js`); throws if no reply came.
    pub fn command(&mut self, name: &str, args: Vec<String>) -> Result<JsValue, JsError> {
        match self.act(Action::Command(name.into(), args))? {
            Outcome::Reply(Some(f)) => frame_to_js(&f),
            _ => Err(JsError::new(&format!(
                "no reply from {name} within {} ms (down, paused or cut off)",
                scenario::COMMAND_MAX_MS
            ))),
        }
    }

    /// A console line as `redis-cli` takes it (quotes allowed), run on node
    /// `name`; the reply as `redis-cli` prints it. Throws if no reply came.
    #[wasm_bindgen(js_name = commandLine)]
    pub fn command_line(&mut self, name: &str, line: &str) -> Result<String, JsError> {
        let Some(parts) = crate::resp::split_args(line.as_bytes()) else {
            return Err(JsError::new("Invalid argument(s)"));
        };
        let args: Vec<String> = parts
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        if args.is_empty() {
            return Ok(String::new());
        }
        match self.act(Action::Command(name.into(), args))? {
            Outcome::Reply(Some(f)) => Ok(super::reply::frame_to_cli(&f)),
            _ => Err(JsError::new(&format!(
                "no reply from {name} within {} ms (down, paused or cut off)",
                scenario::COMMAND_MAX_MS
            ))),
        }
    }

    /// Trace entries from `index` on: `[{index, time, host, kind, text}]`.
    #[wasm_bindgen(js_name = traceSince)]
    pub fn trace_since(&self, index: usize) -> Result<JsValue, JsError> {
        let entries = &self.sim.trace.entries;
        let from = index.min(entries.len());
        Ok(js::list(
            entries[from..]
                .iter()
                .enumerate()
                .map(|(i, e)| trace_js(from + i, e)),
        ))
    }

    /// Number of trace entries so far.
    #[wasm_bindgen(js_name = traceLength)]
    pub fn trace_length(&self) -> usize {
        self.sim.trace.entries.len()
    }

    /// The running hash of the trace, 16 hex digits.
    #[wasm_bindgen(js_name = traceHash)]
    pub fn trace_hash(&self) -> String {
        format!("{:016x}", self.sim.trace.hash)
    }

    /// Every node's state, asked out of band with ROLE and INFO (this does not
    /// change the run: no time passes, nothing is traced).
    pub fn nodes(&mut self) -> Result<JsValue, JsError> {
        let v: Vec<NodeJs> = (0..self.sim.hosts.len())
            .map(|i| self.node_state(i))
            .collect();
        to_js(&v)
    }

    /// The actions taken so far, as JSON text.
    #[wasm_bindgen(js_name = exportScenario)]
    pub fn export_scenario(&self) -> Result<String, JsError> {
        let v = scenario_js(self.seed, &self.actions);
        js_sys::JSON::stringify(&v)
            .map(String::from)
            .map_err(|_| JsError::new("cannot stringify the scenario"))
    }

    /// A new cluster that replays a scenario exported by `exportScenario`.
    #[wasm_bindgen(js_name = importScenario)]
    pub fn import_scenario(json: &str) -> Result<Cluster, JsError> {
        let v = js_sys::JSON::parse(json)
            .map_err(|_| JsError::new("the scenario is not valid JSON"))?;
        let not_a = |e: String| JsError::new(&format!("not a scenario: {e}"));
        if !v.is_object() {
            return Err(not_a("not an object".into()));
        }
        let version = js::uint(&v, "scenario", "version").map_err(not_a)?;
        let seed = js::uint(&v, "scenario", "seed").map_err(not_a)?;
        let actions = js::opt_array(&v, "scenario", "actions")
            .and_then(|a| a.ok_or_else(|| "scenario: missing field 'actions'".into()))
            .map_err(not_a)?;
        if version != 1 {
            return Err(JsError::new(&format!(
                "scenario version {version} is not supported (expected 1)"
            )));
        }
        let mut c = Cluster {
            sim: Sim::new(seed, SCENARIO_START),
            seed,
            actions: Vec::new(),
            tap: Tap::default(),
            lesson: None,
        };
        for (i, a) in actions.iter().enumerate() {
            let a = action_from_js(a).map_err(not_a)?;
            scenario::apply(&mut c.sim, &a)
                .map_err(|e| JsError::new(&format!("scenario action {}: {e}", i + 1)))?;
            c.tap.wrap(&mut c.sim);
            c.actions.push(a);
        }
        Ok(c)
    }
}
