// One node of the live cluster: a module Web Worker that owns one wasm
// instance running one sans-IO `Node` (a Redis server or a sentinel).
//
// The worker moves bytes and time, nothing else: every TCP connection of the
// node is a MessagePort handed over by the main thread (live-cluster.js),
// bytes travel as Uint8Array messages (the string 'close' is the FIN / RST),
// and the node's clock is the main thread's virtual clock: wall time × speed.
//
// Main thread → worker messages:
//   {type:'start', kind, name, ip, port, config, seed, disk, clock, net, watch}
//   {type:'clock', clock:{virtualAt, wallAt, speed}}
//   {type:'accept', conn, port, peer, peerHost, peerPort, localHost, localPort}
//   {type:'connected', conn, port, peer, localHost, localPort}
//   {type:'connectFailed', conn, reason}
//   {type:'peerClosed', conn}              the peer's process died
//   {type:'net', cut:[peer], delay:{peer: ms}}   link conditions, applied to what this node sends
//   {type:'pause', until}                  SIGSTOP until virtual time `until`
//   {type:'command', id, line | args}      a redis-cli line (or an argv) on a console connection
//   {type:'watch', lines:[line]}           lines to peek (Node.peek) with each status
// Worker → main thread:
//   {type:'loaded'} {type:'ready', time} {type:'connect', conn, host, port}
//   {type:'connClosed', conn} {type:'trace', entries:[{time, kind, text}]}
//   {type:'msgs', msgs:[{time, from, to, kind, name, bytes}]}   decoded by the node's tap (IPs)
//   {type:'disk', file, data} {type:'aofFile', op, file, to, data, len} {type:'status', time, status, peeks:{line: text|null}}
//   {type:'reply', id, text, value | error} {type:'exit', code, time} {type:'error', message}

import init, { Node } from '../../pkg/sentinel_lab.js';

const STATUS_EVERY_MS = 200; // real ms between status snapshots
const CONSOLE_BASE = 2 ** 40; // console connections: far above the host's inbound ids
const CLIENT_IP = '10.0.0.100'; // the consoles' address, as the simulator's client (shown as "client")

let node = null;
let me = { name: '?', ip: '', port: 0 };
let clock = { virtualAt: 0, wallAt: 0, speed: 1 };
let lastNow = 0;
let pausedUntil = 0;
let held = []; // inputs that arrived while paused, in order
const early = []; // messages that arrived before the node existed
const conns = new Map(); // conn → {port, peer, queue: [{due, msg}]}
const consoles = new Map(); // conn → {id, buf}
let nextConsole = 0;
let cut = new Set();
let delay = {};
let traceBuf = [];
let msgBuf = [];
let watch = []; // lines peeked with each status
let lastStatus = 0;
let statusWanted = true;
let exited = false;

const wallNow = () => performance.timeOrigin + performance.now();

function vnow() {
  const t = Math.floor(clock.virtualAt + (wallNow() - clock.wallAt) * clock.speed);
  lastNow = Math.max(lastNow, t);
  return lastNow;
}

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

function trace(kind, text) {
  if (traceBuf.length === 0) queueMicrotask(flushTrace);
  traceBuf.push({ time: vnow(), kind, text });
}

function flushTrace() {
  if (traceBuf.length) post({ type: 'trace', entries: traceBuf });
  traceBuf = [];
}

function flushMsgs() {
  if (msgBuf.length) post({ type: 'msgs', msgs: msgBuf });
  msgBuf = [];
}

function fail(e) {
  post({ type: 'error', message: String((e && e.message) || e) });
}

// ---- the node ---------------------------------------------------------------

function feed(input) {
  if (!node || exited) return;
  try {
    node.handle(vnow(), input);
  } catch (e) {
    fail(e);
  }
  drain();
}

function drain() {
  if (!node || exited) return;
  for (const o of node.pollOutputs()) {
    switch (o.type) {
      case 'send': send(o.conn, o.bytes); break;
      case 'connect': post({ type: 'connect', conn: o.conn, host: o.host, port: o.port }); break;
      case 'close': close(o.conn); break;
      case 'event': event(o); break;
    }
  }
  const msgs = node.takeMessages();
  if (msgs.length) {
    if (msgBuf.length === 0) queueMicrotask(flushMsgs);
    for (const m of msgs) msgBuf.push(m);
  }
}

function event(o) {
  switch (o.event) {
    case 'log': trace('log', `${o.mark} ${o.message}`); break;
    case 'role': trace('role', o.role); statusWanted = true; break;
    case 'sentinel': trace('sentinel', `${o.kind} ${o.detail}`); statusWanted = true; break;
    case 'persist':
      post({ type: 'disk', file: o.file, data: o.bytes });
      trace('other', `saved ${o.file} (${o.bytes.length} bytes)`);
      break;
    case 'aofFile':
      // The AOF's disk ops (append, fsync, truncate, rename, delete): the
      // cluster keeps the files; a killed worker keeps what was written.
      if (o.op !== 'fsync') post({ type: 'aofFile', op: o.op, file: o.file, to: o.to, data: o.bytes, len: o.len });
      break;
    case 'configRewrite':
      post({ type: 'disk', file: o.path, data: o.text });
      trace('other', `rewrote ${o.path}`);
      break;
    case 'shutdown':
      trace('other', `Shutdown { exit_code: ${o.exitCode} }`);
      flushTrace();
      exited = true;
      post({ type: 'exit', code: o.exitCode, time: vnow() });
      break;
    case 'crash':
      // DEBUG SEGFAULT: the process dies by SIGSEGV (exit status 128 + 11).
      trace('other', 'Crash');
      flushTrace();
      exited = true;
      post({ type: 'exit', code: 139, time: vnow() });
      break;
  }
}

// ---- connections ------------------------------------------------------------

function send(conn, bytes) {
  const con = consoles.get(conn);
  if (con) return consoleData(conn, con, bytes);
  const c = conns.get(conn);
  if (c) enqueue(c, bytes);
}

function close(conn) {
  const con = consoles.get(conn);
  if (con) return consoleClosed(conn, con);
  const c = conns.get(conn);
  if (!c) return;
  enqueue(c, 'close');
  c.closing = true;
}

// What this node sends goes through its link's conditions: a cut link holds
// it (TCP retransmits until the partition heals), a slow one delays it.
function enqueue(c, msg) {
  const d = delay[c.peer] || 0;
  if (!c.queue.length && !d && !cut.has(c.peer)) return deliver(c, msg);
  c.queue.push({ due: vnow() + d, msg });
}

function deliver(c, msg) {
  if (msg === 'close') {
    c.port.postMessage('close');
    c.port.close();
    conns.delete(c.conn);
    post({ type: 'connClosed', conn: c.conn });
  } else {
    c.port.postMessage(msg, [msg.buffer]);
  }
}

function flushQueues(now) {
  for (const c of [...conns.values()]) {
    if (cut.has(c.peer)) continue;
    while (c.queue.length && c.queue[0].due <= now) deliver(c, c.queue.shift().msg);
  }
}

function attach(m) {
  const c = { conn: m.conn, port: m.port, peer: m.peer, queue: [] };
  conns.set(m.conn, c);
  m.port.onmessage = (e) => input({ type: 'port', conn: m.conn, data: e.data });
}

// An input from the network or the main thread; held while paused (SIGSTOP:
// the kernel still takes the bytes, the process does not run).
function input(m) {
  if (!node) return early.push(m);
  if (exited) return;
  if (pausedUntil > vnow()) return held.push(m);
  apply(m);
}

function apply(m) {
  switch (m.type) {
    case 'port': {
      if (!conns.has(m.conn)) return;
      if (m.data === 'close') {
        const c = conns.get(m.conn);
        c.port.close();
        conns.delete(m.conn);
        post({ type: 'connClosed', conn: m.conn });
        if (!c.closing) feed({ type: 'closed', conn: m.conn });
      } else {
        feed({ type: 'data', conn: m.conn, bytes: m.data });
      }
      return;
    }
    case 'accept':
      attach(m);
      feed({ type: 'accepted', conn: m.conn, peerHost: m.peerHost, peerPort: m.peerPort, localHost: m.localHost, localPort: m.localPort });
      return;
    case 'connected':
      attach(m);
      feed({ type: 'connected', conn: m.conn, localHost: m.localHost, localPort: m.localPort });
      return;
    case 'connectFailed':
      feed({ type: 'connectFailed', conn: m.conn, reason: m.reason });
      return;
    case 'peerClosed': {
      const c = conns.get(m.conn);
      if (!c) return;
      c.port.close();
      conns.delete(m.conn);
      feed({ type: 'closed', conn: m.conn });
      return;
    }
    case 'command':
      return consoleCommand(m);
  }
}

// ---- the console: a client connection of the worker's own ---------------

function consoleCommand(m) {
  let bytes;
  try {
    bytes = m.args ? Node.encodeCommand(m.args) : Node.encodeCommandLine(m.line);
  } catch (e) {
    return post({ type: 'reply', id: m.id, error: String(e.message || e) });
  }
  if (!bytes.length) return post({ type: 'reply', id: m.id, text: '' });
  const conn = CONSOLE_BASE + nextConsole++;
  consoles.set(conn, { id: m.id, buf: new Uint8Array(0) });
  feed({ type: 'accepted', conn, peerHost: CLIENT_IP, peerPort: 50000 + (nextConsole % 10000), localHost: me.ip, localPort: me.port });
  feed({ type: 'data', conn, bytes });
}

function consoleData(conn, con, bytes) {
  const b = new Uint8Array(con.buf.length + bytes.length);
  b.set(con.buf);
  b.set(bytes, con.buf.length);
  con.buf = b;
  let r;
  try {
    r = Node.parseReply(con.buf);
  } catch (e) {
    r = { text: '', error: String(e.message || e) };
  }
  if (!r) return;
  consoles.delete(conn);
  post(r.error ? { type: 'reply', id: con.id, error: r.error } : { type: 'reply', id: con.id, text: r.text, value: r.value });
  // redis-cli would keep the connection; one per line keeps the node's client list short.
  queueMicrotask(() => feed({ type: 'closed', conn }));
}

function consoleClosed(conn, con) {
  consoles.delete(conn);
  post({ type: 'reply', id: con.id, error: 'Server closed the connection' });
}

// ---- time -------------------------------------------------------------------

function statusNow(now) {
  let status = null;
  const peeks = {};
  try {
    status = node.status();
    for (const line of watch) peeks[line] = node.peek(line) ?? null;
  } catch (e) {
    fail(e);
  }
  drain();
  post({ type: 'status', time: now, status, peeks });
  lastStatus = performance.now();
  statusWanted = false;
}

function loop() {
  if (exited) return;
  const now = vnow();
  if (pausedUntil && now >= pausedUntil) {
    pausedUntil = 0;
    const h = held;
    held = [];
    for (const m of h) apply(m);
    statusWanted = true;
  }
  if (!pausedUntil) {
    const due = node.pollTimeout();
    if (due !== undefined && due <= now) feed({ type: 'tick' });
    flushQueues(now);
    if (statusWanted || performance.now() - lastStatus >= STATUS_EVERY_MS) statusNow(now);
  }
  // Wake when the node's next timer is due, so timers keep their own
  // instants (sentinels' randomised election delays must not fall into the
  // same bucket, or their votes split); otherwise about every 100 ms of
  // virtual time, within 4..50 ms of real time.
  let wait = Math.min(50, Math.max(4, 100 / clock.speed));
  const next = pausedUntil || node.pollTimeout();
  if (next !== undefined) wait = Math.min(wait, Math.max(1, (next - vnow()) / clock.speed));
  setTimeout(loop, wait);
}

// ---- messages from the main thread -------------------------------------------

self.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'start': return start(m);
    case 'clock': clock = m.clock; return;
    case 'watch': watch = m.lines; statusWanted = true; return;
    case 'net':
      cut = new Set(m.cut);
      delay = m.delay || {};
      if (node) flushQueues(vnow());
      return;
    case 'pause':
      if (!node) return early.push(m);
      pausedUntil = Math.max(pausedUntil, m.until);
      return;
    default:
      return input(m);
  }
};

function start(m) {
  me = { name: m.name, ip: m.ip, port: m.port };
  clock = m.clock;
  cut = new Set(m.net.cut);
  delay = m.net.delay || {};
  watch = m.watch || [];
  try {
    const now = vnow();
    const hasDisk = m.disk && Object.keys(m.disk).length > 0;
    node = hasDisk
      ? Node.fromDisk(m.kind, m.config, m.seed, now, m.disk)
      : new Node(m.kind, m.config, m.seed, now);
    node.tapMessages(true);
    post({ type: 'ready', time: now });
  } catch (e) {
    fail(e);
    return;
  }
  drain();
  feed({ type: 'tick' });
  for (const x of early.splice(0)) {
    if (x.type === 'pause') pausedUntil = Math.max(pausedUntil, x.until);
    else input(x);
  }
  loop();
}

init({ module_or_path: new URL('../../pkg/sentinel_lab_bg.wasm', import.meta.url) })
  .then(() => post({ type: 'loaded' }))
  .catch(fail);
