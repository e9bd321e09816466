//! A node's state as the page shows it, asked out of band (ROLE, INFO,
//! SENTINEL MASTER): one copy for the simulated `Cluster.nodes()` and the
//! live `Node.status()`, which differ only in how a query reaches the node.

use super::js::{Obj, ToJs};
use crate::resp::Frame;
use wasm_bindgen::JsValue;

/// A replica as its master sees it (ROLE).
pub struct ReplicaJs {
    pub ip: String,
    pub port: u16,
    pub offset: i64,
}

/// What a node says of itself: `{role, runId, offset, masterHost,
/// masterPort, linkState, replicas, masters, priority, sentinel}`. `role`
/// and the fields after it are null (empty) when it cannot be asked.
#[derive(Default)]
pub struct Status {
    /// "master", "slave", "sentinel", or null when it cannot be asked.
    pub role: Option<String>,
    pub run_id: Option<String>,
    pub offset: Option<i64>,
    /// Replica: its master's address and the link state from ROLE
    /// ("connect", "connecting", "sync", "connected", "handshake").
    pub master_host: Option<String>,
    pub master_port: Option<u16>,
    pub link_state: Option<String>,
    /// Master: its replicas from ROLE.
    pub replicas: Vec<ReplicaJs>,
    /// Sentinel: the masters it monitors (from ROLE).
    pub masters: Vec<String>,
    /// Replica: its replica-priority (0 = never promoted).
    pub priority: Option<i64>,
    /// Sentinel: its view of the first master it monitors.
    pub sentinel: Option<SentinelView>,
    /// Server: INFO's `used_memory`, `maxmemory` (0: none), its policy and
    /// `evicted_keys`.
    pub used_memory: Option<u64>,
    pub maxmemory: Option<u64>,
    pub maxmemory_policy: Option<String>,
    pub evicted_keys: Option<u64>,
}

/// What a sentinel believes about a master (`SENTINEL MASTER <name>`).
#[derive(Default)]
pub struct SentinelView {
    pub myid: Option<String>,
    pub master: String,
    pub master_ip: Option<String>,
    pub master_port: Option<u16>,
    /// e.g. "master", "s_down,master", "o_down,s_down,master,failover_in_progress".
    pub flags: String,
    /// "up", "sdown", "odown" or "failover".
    pub state: String,
    pub failover_state: Option<String>,
    pub config_epoch: Option<i64>,
    pub quorum: Option<i64>,
    pub num_slaves: Option<i64>,
    pub num_other_sentinels: Option<i64>,
    pub down_after_ms: Option<i64>,
    pub failover_timeout_ms: Option<i64>,
    pub parallel_syncs: Option<i64>,
}

impl ToJs for ReplicaJs {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .set("ip", &self.ip)
            .set("port", &self.port)
            .set("offset", &self.offset)
            .done()
    }
}

impl Status {
    /// Its fields added to `o` (`Cluster.nodes()` puts them beside its own).
    pub fn fields(&self, o: Obj) -> Obj {
        o.set("role", &self.role)
            .set("runId", &self.run_id)
            .set("offset", &self.offset)
            .set("masterHost", &self.master_host)
            .set("masterPort", &self.master_port)
            .set("linkState", &self.link_state)
            .set("replicas", &self.replicas)
            .set("masters", &self.masters)
            .set("priority", &self.priority)
            .set("sentinel", &self.sentinel)
            .set("usedMemory", &self.used_memory)
            .set("maxmemory", &self.maxmemory)
            .set("maxmemoryPolicy", &self.maxmemory_policy)
            .set("evictedKeys", &self.evicted_keys)
    }
}

impl ToJs for Status {
    fn to_js(&self) -> JsValue {
        self.fields(Obj::new()).done()
    }
}

impl ToJs for SentinelView {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .set("myid", &self.myid)
            .set("master", &self.master)
            .set("masterIp", &self.master_ip)
            .set("masterPort", &self.master_port)
            .set("flags", &self.flags)
            .set("state", &self.state)
            .set("failoverState", &self.failover_state)
            .set("configEpoch", &self.config_epoch)
            .set("quorum", &self.quorum)
            .set("numSlaves", &self.num_slaves)
            .set("numOtherSentinels", &self.num_other_sentinels)
            .set("downAfterMs", &self.down_after_ms)
            .set("failoverTimeoutMs", &self.failover_timeout_ms)
            .set("parallelSyncs", &self.parallel_syncs)
            .done()
    }
}

/// A flat RESP2 map reply (`[k1, v1, k2, v2, ...]`) or a RESP3 map, as pairs.
fn pairs(f: &Frame) -> crate::vecmap::VecMap<String, String> {
    let mut m = crate::vecmap::VecMap::new();
    let mut put = |k: &Frame, v: &Frame| {
        if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
            m.insert(k.to_string(), v.to_string());
        }
    };
    match f {
        Frame::Map(kv) => kv.iter().for_each(|(k, v)| put(k, v)),
        Frame::Array(a) => {
            for kv in a.chunks(2) {
                if let [k, v] = kv {
                    put(k, v);
                }
            }
        }
        _ => {}
    }
    m
}

fn int_of(f: Option<&Frame>) -> Option<i64> {
    match f? {
        Frame::Integer(i) => Some(*i),
        other => other.as_str()?.parse().ok(),
    }
}

fn info_field(info: &str, key: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// Ask a node about itself with `query` (a command's reply, or `None` when
/// the node cannot answer at once).
pub fn status(mut query: impl FnMut(&[&str]) -> Option<Frame>) -> Status {
    let mut n = Status::default();
    let Some(Frame::Array(role)) = query(&["ROLE"]) else {
        return n;
    };
    let role_name = role.first().and_then(|f| f.as_str()).unwrap_or("");
    n.role = Some(role_name.to_string());
    match role_name {
        "master" => {
            n.offset = int_of(role.get(1));
            if let Some(Frame::Array(reps)) = role.get(2) {
                for r in reps {
                    let Some(r) = r.as_array() else { continue };
                    let ip = r.first().and_then(|f| f.as_str()).unwrap_or("");
                    let port = int_of(r.get(1)).unwrap_or(0);
                    n.replicas.push(ReplicaJs {
                        ip: ip.to_string(),
                        port: u16::try_from(port).unwrap_or(0),
                        offset: int_of(r.get(2)).unwrap_or(0),
                    });
                }
            }
        }
        "slave" => {
            n.master_host = role.get(1).and_then(|f| f.as_str()).map(String::from);
            n.master_port = int_of(role.get(2)).and_then(|p| u16::try_from(p).ok());
            n.link_state = role.get(3).and_then(|f| f.as_str()).map(String::from);
            n.offset = int_of(role.get(4));
        }
        "sentinel" => {
            if let Some(Frame::Array(ms)) = role.get(1) {
                n.masters = ms
                    .iter()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect();
            }
        }
        _ => {}
    }
    let info = |query: &mut dyn FnMut(&[&str]) -> Option<Frame>, section, key| {
        query(&["INFO", section]).and_then(|f| f.as_str().and_then(|t| info_field(t, key)))
    };
    n.run_id = info(&mut query, "server", "run_id");
    if role_name == "slave" {
        n.priority = info(&mut query, "replication", "slave_priority").and_then(|p| p.parse().ok());
    }
    if matches!(role_name, "master" | "slave") {
        if let Some(text) = query(&["INFO", "memory"]).and_then(|f| f.as_str().map(String::from)) {
            let num = |k| info_field(&text, k).and_then(|v| v.parse().ok());
            n.used_memory = num("used_memory");
            n.maxmemory = num("maxmemory");
            n.maxmemory_policy = info_field(&text, "maxmemory_policy");
        }
        n.evicted_keys = info(&mut query, "stats", "evicted_keys").and_then(|v| v.parse().ok());
    }
    if let Some(master) = n.masters.first().cloned() {
        n.sentinel = Some(sentinel_view(&mut query, &master));
    }
    n
}

fn sentinel_view(query: &mut impl FnMut(&[&str]) -> Option<Frame>, master: &str) -> SentinelView {
    let mut v = SentinelView {
        master: master.to_string(),
        ..SentinelView::default()
    };
    v.myid = query(&["SENTINEL", "MYID"]).and_then(|f| f.as_str().map(String::from));
    let Some(f) = query(&["SENTINEL", "MASTER", master]) else {
        return v;
    };
    let m = pairs(&f);
    let num = |k: &str| m.get(k).and_then(|x| x.parse::<i64>().ok());
    v.master_ip = m.get("ip").cloned();
    v.master_port = num("port").and_then(|p| u16::try_from(p).ok());
    v.flags = m.get("flags").cloned().unwrap_or_default();
    let has = |f: &str| v.flags.split(',').any(|x| x == f);
    v.state = if has("failover_in_progress") {
        "failover"
    } else if has("o_down") {
        "odown"
    } else if has("s_down") {
        "sdown"
    } else {
        "up"
    }
    .into();
    v.failover_state = m.get("failover-state").cloned();
    v.config_epoch = num("config-epoch");
    v.quorum = num("quorum");
    v.num_slaves = num("num-slaves");
    v.num_other_sentinels = num("num-other-sentinels");
    v.down_after_ms = num("down-after-milliseconds");
    v.failover_timeout_ms = num("failover-timeout");
    v.parallel_syncs = num("parallel-syncs");
    v
}

/// A `redis-cli` line asked with `query`: the reply as `redis-cli` prints
/// it, or `None` for an empty or unbalanced line or no immediate reply.
pub fn peek(line: &str, query: impl FnOnce(&[&str]) -> Option<Frame>) -> Option<String> {
    let parts = crate::resp::split_args(line.as_bytes())?;
    let args: Vec<String> = parts
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    if args.is_empty() {
        return None;
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    query(&argv).map(|f| super::reply::frame_to_cli(&f))
}
