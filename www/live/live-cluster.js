// Live mode: one wasm instance per node, each in its own Web Worker
// (worker.js), joined by MessageChannel ports. The main thread is the
// network: it routes "connect to host:port" to the worker listening there,
// hands one end of a fresh MessageChannel to each side, cuts or slows links,
// and keeps each node's "disk" so a killed node restarts from it.
//
// `LiveCluster` has the shape of the simulated wasm `Cluster` that the page
// uses (now, nodes, traceSince, messagesSince, peek, command, commandLine,
// addServer, addSentinel, kill, restart, pause, partition, isolate, heal, healLink), so
// the page can drive either; time here is wall time × speed instead of a
// simulation the page steps.

import init, { Node } from '../../pkg/sentinel_lab.js';

/** The simulated cluster's epoch: 2026-01-01T00:00:00Z (sim::scenario::SCENARIO_START). */
export const SCENARIO_START = 1767225600000;
/** How long a console command waits for its reply (virtual ms, as Cluster). */
const COMMAND_MAX_MS = 5000;
/** How long a connection attempt across a cut link takes to fail (virtual ms, as the simulator). */
const CONNECT_TIMEOUT_MS = 1000;
/** Decoded messages kept for messagesSince (as Cluster). */
const KEEP_MSGS = 4096;
/** A peeked line not asked for this long (real ms) is no longer watched. */
const WATCH_MS = 5000;
const DEFAULT_SETTINGS = { quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 10000, parallelSyncs: 1 };

const wallNow = () => performance.timeOrigin + performance.now();
const pairKey = (a, b) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

// A node's seed from the cluster's seed, its index and its incarnation (< 2^53).
function nodeSeed(seed, index, incarnation) {
  let x = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(index * 1000 + incarnation + 1)) & 0xffffffffffffffffn;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return Number((x ^ (x >> 31n)) & 0x1fffffffffffffn);
}

/** A node's status fields while it cannot be asked (as Cluster.nodes()). */
const EMPTY_STATUS = Object.freeze({
  role: null, runId: null, offset: null, masterHost: null, masterPort: null, linkState: null,
  replicas: [], masters: [], priority: null, sentinel: null,
});

export class LiveCluster {
  /**
   * Spawn one worker per node of the topology; resolves when every node runs.
   * `settings` are the sentinels' (quorum, down-after, failover-timeout,
   * parallel-syncs); `workerUrl` defaults to worker.js beside this file.
   */
  static async create({ topology = 'tutorial', settings = DEFAULT_SETTINGS, seed = 1, workerUrl } = {}) {
    if (topology !== 'tutorial') throw new Error(`unknown topology '${topology}' (expected 'tutorial')`);
    await init();
    const specs = Node.tutorialTopology({ ...DEFAULT_SETTINGS, ...settings });
    const c = new LiveCluster(specs, seed, workerUrl || new URL('./worker.js', import.meta.url));
    await c.#boot();
    return c;
  }

  #nodes = []; // {name, kind, ip, port, config, index, worker, state, incarnation, pausedUntil, status, disk, nextInbound, commands}
  #channels = new Map(); // id → {ends: [{name, conn}, {name, conn}]}
  #nextChannel = 1;
  #trace = [];
  #msgs = []; // the last KEEP_MSGS decoded messages
  #msgBase = 0; // index of #msgs[0]
  #clock = { virtualAt: SCENARIO_START, wallAt: 0, speed: 1 };
  #cuts = new Set(); // pairKey
  #isolated = new Set();
  #delays = new Map(); // pairKey → ms
  #deferred = []; // peerClosed notices held by a cut link: {name, incarnation, conn, from}
  #nextCommand = 1;
  #timers = new Set();
  #workerUrl;
  #seed;
  #freed = false;

  constructor(specs, seed, workerUrl) {
    this.#seed = seed;
    this.#workerUrl = workerUrl;
    this.#nodes = [...specs].map((s, index) => LiveCluster.#entry(s, index));
  }

  static #entry(s, index) {
    return {
      name: s.name, kind: s.kind, ip: s.ip, port: s.port, config: s.config, index,
      worker: null, state: 'down', incarnation: 0, pausedUntil: 0, status: null,
      disk: {}, nextInbound: 0, commands: new Map(),
      statusTime: 0, // virtual ms of the latest status snapshot
      watches: new Map(), // peeked line → wall ms it was last asked
      peeks: {}, // line → its latest answer
    };
  }

  get seed() { return this.#seed; }

  /** Virtual time now (unix ms): SCENARIO_START + elapsed wall time × speed. */
  now() {
    const c = this.#clock;
    return Math.floor(c.virtualAt + (wallNow() - c.wallAt) * c.speed);
  }

  /** The time rate, 0.1 .. 100. */
  speed() { return this.#clock.speed; }

  setSpeed(x) {
    const speed = Math.min(100, Math.max(0.1, Number(x) || 1));
    this.#clock = { virtualAt: this.now(), wallAt: wallNow(), speed };
    for (const n of this.#nodes) this.#post(n, { type: 'clock', clock: this.#clock });
  }

  /**
   * Every node's latest snapshot, in the shape of Cluster.nodes(): where it
   * is and whether it runs, then Node.status() (the same Rust code as
   * Cluster's), null / empty while it is down, paused or starting.
   */
  nodes() {
    const now = this.now();
    return this.#nodes.map((n) => {
      const up = n.state !== 'down';
      const paused = up && n.pausedUntil > now;
      const s = (up && !paused && n.status) || EMPTY_STATUS;
      return {
        name: n.name, addr: `${n.ip}:${n.port}`, ip: n.ip, port: n.port, kind: n.kind, up, paused,
        ...structuredClone(s),
      };
    });
  }

  /**
   * Decoded messages from index `i` on (the last 4096 are kept), as
   * Cluster.messagesSince: [{index, time, from, to, kind, name, bytes}],
   * from/to node names ("client" for the consoles). Each node's worker
   * decodes what its node receives (Node.takeMessages).
   */
  messagesSince(i) {
    return this.#msgs.slice(Math.max(0, (i | 0) - this.#msgBase));
  }

  /** Index the next decoded message will have. */
  messagesLength() { return this.#msgBase + this.#msgs.length; }

  /**
   * Out of band, as Cluster.peek: the node's latest answer to a redis-cli
   * line, asked without traffic (Node.peek) with each status snapshot (at
   * most ~200 ms of real time old); null while down, paused, starting, and
   * the first time a line is asked. A line not asked for 5 s is dropped.
   */
  peek(name, line) {
    const n = this.#node(name);
    line = String(line);
    const fresh = !n.watches.has(line);
    n.watches.set(line, performance.now());
    if (fresh) this.#post(n, { type: 'watch', lines: [...n.watches.keys()] });
    if (n.state !== 'running' || n.pausedUntil > this.now()) return null;
    return n.peeks[line] ?? null;
  }

  /** The virtual time `peek`'s answers on node `name` are from (its last status snapshot). */
  peekTime(name) {
    return this.#node(name).statusTime;
  }

  /** Trace entries from `index` on: [{index, time, host, kind, text}]. */
  traceSince(index) {
    return this.#trace.slice(Math.max(0, index | 0));
  }

  traceLength() { return this.#trace.length; }

  /** A redis-cli line run on node `name`; resolves to the reply as redis-cli prints it. */
  commandLine(name, line) {
    return this.#command(name, { line: String(line) }).then((r) => r.text);
  }

  /**
   * A command as a client (argv), as Cluster.command: resolves to the reply
   * as a plain value (error replies as {error}); rejects when no reply came.
   */
  command(name, args) {
    return this.#command(name, { args: [...args].map(String) }).then((r) => r.value);
  }

  /** Add a Redis server (redis.conf text) and start it; resolves when it runs. */
  addServer(name, ip, port, config) { return this.#add('server', name, ip, port, config); }

  /** Add a sentinel (sentinel.conf text) and start it; resolves when it runs. */
  addSentinel(name, ip, port, config) { return this.#add('sentinel', name, ip, port, config); }

  #add(kind, name, ip, port, config) {
    name = String(name).trim();
    ip = String(ip).trim();
    if (!name) throw new Error('a node needs a name');
    if (!ip) throw new Error('a node needs an IP address');
    if (this.#nodes.some((x) => x.name === name)) throw new Error(`a node named '${name}' exists`);
    if (this.#nodes.some((x) => x.ip === ip && x.port === port)) throw new Error(`${ip}:${port} is taken`);
    const n = LiveCluster.#entry({ name, kind, ip, port, config }, this.#nodes.length);
    this.#nodes.push(n);
    this.#sendNet();
    return this.#spawn(n).catch((e) => {
      this.#push(name, 'other', `start failed: ${e.message}`);
      throw e;
    });
  }

  #command(name, what) {
    const n = this.#node(name);
    const noReply = () => new Error(`no reply from ${name} within ${COMMAND_MAX_MS} ms (down, paused or cut off)`);
    if (n.state === 'down' || this.#isolated.has(name)) return Promise.reject(noReply());
    const id = this.#nextCommand++;
    return new Promise((resolve, reject) => {
      const timer = this.#after(COMMAND_MAX_MS, () => {
        n.commands.delete(id);
        reject(noReply());
      });
      const msg = { type: 'command', id, ...what };
      n.commands.set(id, { resolve, reject, timer, noReply, msg });
      // A node that is still starting gets it once it runs.
      if (n.state === 'running') this.#post(n, msg);
    });
  }

  /** Crash a node: its worker is terminated, its peers see their connections closed. */
  kill(name) {
    const n = this.#node(name);
    if (n.state === 'down') return;
    this.#push(name, 'crash', 'crashed');
    this.#down(n);
  }

  /** Start a node again (a fresh worker) from its disk. */
  restart(name) {
    const n = this.#node(name);
    if (n.state !== 'down') this.kill(name);
    this.#spawn(n).catch((e) => this.#push(name, 'other', `restart failed: ${e.message}`));
  }

  /** Freeze a node (SIGSTOP) for `ms` virtual milliseconds. */
  pause(name, ms) {
    const n = this.#node(name);
    if (n.state === 'down') return;
    ms = Math.max(0, Math.floor(Number(ms) || 0));
    n.pausedUntil = this.now() + ms;
    this.#push(name, 'pause', `paused for ${ms} ms`);
    this.#post(n, { type: 'pause', until: n.pausedUntil });
  }

  /** Cut the network between two nodes, both ways (bytes wait, as TCP retransmits). */
  partition(a, b) {
    this.#node(a);
    this.#node(b);
    this.#cuts.add(pairKey(a, b));
    this.#push(a, 'net', `partitioned from ${b}`);
    this.#sendNet();
  }

  /** Cut a node off from everyone (and from the consoles). */
  isolate(name) {
    this.#node(name);
    this.#isolated.add(name);
    this.#push(name, 'net', 'isolated');
    this.#sendNet();
  }

  /** Remove the cut between two nodes only (other cuts and isolations stay). */
  healLink(a, b) {
    this.#node(a);
    this.#node(b);
    this.#cuts.delete(pairKey(a, b));
    this.#push(a, 'net', `healed link to ${b}`);
    this.#sendNet();
    const keep = [];
    for (const d of this.#deferred.splice(0)) {
      const pair = d.from !== undefined && pairKey(d.name, d.from) === pairKey(a, b);
      if (!pair || this.#isCut(a, b)) { keep.push(d); continue; }
      const n = this.#node(d.name);
      if (n.incarnation === d.incarnation) this.#post(n, { type: 'peerClosed', conn: d.conn });
    }
    this.#deferred.push(...keep);
  }

  /** Remove every network fault (cuts and delays); held bytes flow, in order. */
  heal() {
    this.#cuts.clear();
    this.#isolated.clear();
    this.#delays.clear();
    this.#push('net', 'net', 'healed');
    this.#sendNet();
    for (const d of this.#deferred.splice(0)) {
      const n = this.#node(d.name);
      if (n.incarnation === d.incarnation) this.#post(n, { type: 'peerClosed', conn: d.conn });
    }
  }

  /** Extra one-way latency (virtual ms) on every connection between a and b, both directions. */
  delayLink(a, b, ms) {
    this.#node(a);
    this.#node(b);
    ms = Math.max(0, Math.floor(Number(ms) || 0));
    if (ms) this.#delays.set(pairKey(a, b), ms);
    else this.#delays.delete(pairKey(a, b));
    this.#push(a, 'net', ms ? `link to ${b} delayed by ${ms} ms` : `link to ${b} not delayed`);
    this.#sendNet();
  }

  /** Terminate every worker. */
  free() {
    this.#freed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const n of this.#nodes) {
      if (n.worker) n.worker.terminate();
      n.worker = null;
      n.state = 'down';
      for (const c of n.commands.values()) {
        clearTimeout(c.timer);
        c.reject(new Error('the cluster was freed'));
      }
      n.commands.clear();
    }
  }

  // ---- internals --------------------------------------------------------------

  async #boot() {
    // Load every worker's wasm first, then start the clock and the nodes together.
    const loaded = await Promise.all(this.#nodes.map((n) => this.#load(n)));
    this.#clock = { virtualAt: SCENARIO_START, wallAt: wallNow(), speed: this.#clock.speed };
    await Promise.all(loaded.map((n) => this.#start(n)));
  }

  async #spawn(n) {
    await this.#load(n);
    if (this.#freed) return;
    await this.#start(n);
  }

  #node(name) {
    const n = this.#nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node named '${name}'`);
    return n;
  }

  #push(host, kind, text, time = this.now()) {
    this.#trace.push({ index: this.#trace.length, time, host, kind, text });
  }

  #post(n, msg, transfer) {
    if (n.worker) n.worker.postMessage(msg, transfer || []);
  }

  /** setTimeout in virtual ms at the current speed. */
  #after(ms, fn) {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#freed) fn();
    }, ms / this.#clock.speed);
    this.#timers.add(t);
    return t;
  }

  #isCut(a, b) {
    return this.#cuts.has(pairKey(a, b)) || this.#isolated.has(a) || this.#isolated.has(b);
  }

  #netFor(n) {
    const cut = [];
    const delay = {};
    for (const o of this.#nodes) {
      if (o === n) continue;
      if (this.#isCut(n.name, o.name)) cut.push(o.name);
      const d = this.#delays.get(pairKey(n.name, o.name));
      if (d) delay[o.name] = d;
    }
    return { cut, delay };
  }

  #sendNet() {
    for (const n of this.#nodes) this.#post(n, { type: 'net', ...this.#netFor(n) });
  }

  #load(n) {
    n.incarnation++;
    n.state = 'booting';
    n.status = null;
    n.peeks = {};
    n.pausedUntil = 0;
    n.nextInbound = 0;
    const inc = n.incarnation;
    const w = new Worker(this.#workerUrl, { type: 'module', name: n.name });
    n.worker = w;
    return new Promise((resolve, reject) => {
      n.onLoaded = () => resolve(n);
      n.onFail = (msg) => reject(new Error(`${n.name}: ${msg}`));
      w.onmessage = (e) => {
        if (n.incarnation === inc && n.worker === w) this.#fromWorker(n, e.data);
      };
      w.onerror = (e) => {
        e.preventDefault?.();
        if (n.incarnation !== inc || n.worker !== w) return;
        const msg = e.message || 'worker error';
        if (n.state === 'booting') n.onFail(msg);
        this.#push(n.name, 'crash', `crashed: ${msg}`);
        this.#down(n);
      };
    });
  }

  #start(n) {
    return new Promise((resolve, reject) => {
      n.onReady = () => resolve(n);
      n.onFail = (msg) => reject(new Error(`${n.name}: ${msg}`));
      this.#post(n, {
        type: 'start', kind: n.kind, name: n.name, ip: n.ip, port: n.port, config: n.config,
        seed: nodeSeed(this.#seed, n.index, n.incarnation), disk: { ...n.disk },
        clock: this.#clock, net: this.#netFor(n), watch: [...n.watches.keys()],
      });
    });
  }

  /** The node's process is gone: terminate, close its connections at the peers. */
  #down(n) {
    if (n.worker) n.worker.terminate();
    n.worker = null;
    n.state = 'down';
    n.status = null;
    n.pausedUntil = 0;
    for (const c of n.commands.values()) {
      clearTimeout(c.timer);
      c.reject(c.noReply());
    }
    n.commands.clear();
    for (const [id, ch] of this.#channels) {
      const i = ch.ends.findIndex((e) => e.name === n.name);
      if (i < 0) continue;
      this.#channels.delete(id);
      const peer = ch.ends[1 - i];
      const p = this.#node(peer.name);
      if (p.state === 'down') continue;
      if (this.#isCut(n.name, p.name)) {
        this.#deferred.push({ name: p.name, incarnation: p.incarnation, conn: peer.conn, from: n.name });
      } else {
        this.#post(p, { type: 'peerClosed', conn: peer.conn });
      }
    }
  }

  #fromWorker(n, m) {
    switch (m.type) {
      case 'loaded': return n.onLoaded();
      case 'ready':
        n.state = 'running';
        this.#push(n.name, 'start', 'started', m.time);
        for (const c of n.commands.values()) this.#post(n, c.msg);
        return n.onReady();
      case 'trace':
        for (const e of m.entries) this.#push(n.name, e.kind, e.text, e.time);
        return;
      case 'status': {
        n.status = m.status;
        n.statusTime = m.time;
        n.peeks = m.peeks || {};
        const old = performance.now() - WATCH_MS;
        const before = n.watches.size;
        for (const [line, at] of n.watches) if (at < old) n.watches.delete(line);
        if (n.watches.size !== before) this.#post(n, { type: 'watch', lines: [...n.watches.keys()] });
        return;
      }
      case 'msgs': {
        const ip = new Map(this.#nodes.map((x) => [x.ip, x.name]));
        for (const x of m.msgs) {
          this.#msgs.push({
            index: this.#msgBase + this.#msgs.length, time: x.time,
            from: ip.get(x.from) ?? 'client', to: ip.get(x.to) ?? 'client',
            kind: x.kind, name: x.name, bytes: x.bytes,
          });
        }
        const over = this.#msgs.length - KEEP_MSGS;
        if (over > 0) {
          this.#msgs.splice(0, over);
          this.#msgBase += over;
        }
        return;
      }
      case 'disk':
        n.disk[m.file] = m.data;
        return;
      case 'aofFile':
        applyAofFile(n.disk, m);
        return;
      case 'connect': return this.#connect(n, m);
      case 'connClosed':
        for (const [id, ch] of this.#channels) {
          if (ch.ends.some((e) => e.name === n.name && e.conn === m.conn)) this.#channels.delete(id);
        }
        return;
      case 'reply': {
        const c = n.commands.get(m.id);
        if (!c) return;
        n.commands.delete(m.id);
        clearTimeout(c.timer);
        this.#timers.delete(c.timer);
        if (m.error !== undefined) c.reject(new Error(m.error));
        else c.resolve({ text: m.text, value: m.value });
        return;
      }
      case 'exit':
        // SHUTDOWN: the process exits; a restart brings it back from its disk.
        this.#push(n.name, 'crash', `exited with code ${m.code}`, m.time);
        this.#down(n);
        return;
      case 'error':
        if (n.state === 'booting' && n.onFail) n.onFail(m.message);
        this.#push(n.name, 'other', `error: ${m.message}`);
        console.warn(`live node ${n.name}: ${m.message}`);
        return;
    }
  }

  /** A node opens a connection: find who listens there, join them with a MessageChannel. */
  #connect(n, m) {
    const t = this.#nodes.find((x) => x.ip === m.host && x.port === m.port);
    const inc = n.incarnation;
    const fail = (reason, after) => this.#after(after, () => {
      if (n.incarnation === inc) this.#post(n, { type: 'connectFailed', conn: m.conn, reason });
    });
    if (!t || t.state !== 'running') return fail('Connection refused', 1);
    if (this.#isCut(n.name, t.name)) return fail('Connection timed out', CONNECT_TIMEOUT_MS);
    const ch = new MessageChannel();
    const tc = ++t.nextInbound;
    const localPort = 30000 + (Math.abs(m.conn) % 30000);
    this.#channels.set(this.#nextChannel++, {
      ends: [{ name: n.name, conn: m.conn }, { name: t.name, conn: tc }],
    });
    this.#post(t, {
      type: 'accept', conn: tc, port: ch.port2, peer: n.name,
      peerHost: n.ip, peerPort: localPort, localHost: t.ip, localPort: t.port,
    }, [ch.port2]);
    this.#post(n, {
      type: 'connected', conn: m.conn, port: ch.port1, peer: t.name,
      localHost: n.ip, localPort,
    }, [ch.port1]);
  }
}

/** An AOF file op from a node (see the node contract's FileOp) on its disk. */
function applyAofFile(disk, m) {
  const bytes = (f) => (disk[f] instanceof Uint8Array ? disk[f] : new TextEncoder().encode(disk[f] ?? ''));
  switch (m.op) {
    case 'append': {
      const old = bytes(m.file);
      const all = new Uint8Array(old.length + m.data.length);
      all.set(old, 0);
      all.set(m.data, old.length);
      disk[m.file] = all;
      break;
    }
    case 'truncate': {
      const old = bytes(m.file);
      const cut = new Uint8Array(m.len);
      cut.set(old.subarray(0, Math.min(m.len, old.length)));
      disk[m.file] = cut;
      break;
    }
    case 'rename':
      if (m.file in disk) { disk[m.to] = disk[m.file]; delete disk[m.file]; }
      break;
    case 'delete':
      delete disk[m.file];
      break;
  }
}
