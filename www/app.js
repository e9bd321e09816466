// sentinel-lab web UI. The page drives one cluster: the wasm `Cluster` (a
// deterministic simulation, run on the page's clock × speed) or, in live mode,
// a `LiveCluster` (one wasm instance per node in Web Workers). Plain ES
// modules, no bundler, no network: the page is served from the crate root so
// that ../pkg/ is reachable.
//
// Modules: i18n.js (strings), phases.js (failover phases), topology.js (SVG),
// console.js (redis-cli per node), writes.js (write load).

import init, { Cluster, version } from '../pkg/sentinel_lab.js';
import { translate } from './i18n.js';
import { PHASES, Failover, classify, logLine } from './phases.js';
import { Topology } from './topology.js';
import { makeConsole } from './console.js';
import { WriteLoad } from './writes.js';

const T_START = performance.now();
const $ = (sel) => document.querySelector(sel);
const EPOCH = 1767225600000; // sim::scenario::SCENARIO_START
const MAX_RAW = 3000;
const MAX_EVENTS = 1500;
const LESSONS = ['tutorial', 'sentinel-down', 'no-quorum', 'partition', 'priority-zero', 'manual-failover', 'old-master-returns', 'name-not-resolving', 'container-address'];
const MSG_KINDS = ['ping', 'info', 'hello', 'vote', 'replicaof', 'psync', 'stream', 'client', 'replies'];
const PRE_RUN_MS = 12000;
const LESSON_PRE_RUN_MS = 16000;
const FAST_FORWARD = 25;
const DEFAULT_SETTINGS = { quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 10000, parallelSyncs: 1 };

const ui = {
  lang: 'en',
  scenario: 'free',
  seed: 1,
  mode: 'sim',
  settings: { ...DEFAULT_SETTINGS },
  running: false,
  speed: 1,
  c: null,
  live: false,
  builtAt: 0,
  traceIndex: 0,
  msgIndex: 0,
  nodes: [],
  cards: new Map(),
  consoles: new Map(),
  failover: new Failover(),
  cuts: new Set(),
  isolated: new Set(),
  write: new WriteLoad(),
  carry: 0,
  lastFrame: 0,
  lastNodes: 0,
  dirty: true,
  phaseSel: null,
  group: null,
  prev: null,
  events: 0,
  buildId: 0,
  // What a shared link carries to replay a run exactly: the settings the
  // cluster was built with and every action taken since, with its virtual time.
  builtSettings: { ...DEFAULT_SETTINGS },
  log: [], // [ms since the epoch, op, ...args]
  replay: [], // entries of a shared link not applied yet
  shared: [], // the decoded `run` of the link the page was opened with
  runParam: '', // that `run`, kept in the URL while it describes this run
  lastHash: '',
  compose: null, // the Compose file the cluster is built from, or null (lessons, default topology)
};

const t = (key, vars) => translate(ui.lang, key, vars);
const lessonKey = (id) => id.replace(/-/g, '_');
const hasLessons = () => typeof Cluster.lessons === 'function' && typeof Cluster.prototype.loadLesson === 'function';
const errText = (e) => String(e && e.message ? e.message : e);
let topo;

// ---- URL hash: #scenario=tutorial&seed=1&lang=ko&q=2&dam=5000&fto=10000&ps=1[&run=...]
// q, dam, fto, ps: the settings the cluster is built with; run: the actions
// taken since (kills, cuts, SENTINEL SET, consoles, write load, ...) with
// their virtual times, as JSON, deflated (CompressionStream) and base64url.

function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  const sc = p.get('scenario');
  if (sc && (sc === 'free' || LESSONS.includes(sc))) ui.scenario = sc;
  const seed = Number(p.get('seed'));
  if (p.has('seed') && Number.isSafeInteger(seed) && seed >= 0) ui.seed = seed;
  if (p.get('lang') === 'ko' || p.get('lang') === 'en') ui.lang = p.get('lang');
  const num = (k, min) => {
    const v = Number(p.get(k));
    return p.has(k) && Number.isSafeInteger(v) && v >= min ? v : undefined;
  };
  const s = { ...DEFAULT_SETTINGS };
  s.quorum = num('q', 1) ?? s.quorum;
  s.downAfterMs = num('dam', 1) ?? s.downAfterMs;
  s.failoverTimeoutMs = num('fto', 1) ?? s.failoverTimeoutMs;
  s.parallelSyncs = num('ps', 1) ?? s.parallelSyncs;
  ui.settings = s;
  ui.mode = p.get('mode') === 'live' ? 'live' : 'sim';
}

function hashString() {
  const s = ui.builtSettings;
  const p = new URLSearchParams({
    scenario: ui.scenario, seed: String(ui.seed), lang: ui.lang,
    q: s.quorum, dam: s.downAfterMs, fto: s.failoverTimeoutMs, ps: s.parallelSyncs,
  });
  if (ui.mode === 'live') p.set('mode', 'live');
  else if (ui.runParam) p.set('run', ui.runParam);
  return p.toString();
}

function writeHash() {
  ui.lastHash = '#' + hashString();
  history.replaceState(null, '', ui.lastHash);
}

/** The hash without the language, in a canonical order (what a run depends on). */
function runKey(hash) {
  const p = new URLSearchParams(String(hash).replace(/^#/, ''));
  p.delete('lang');
  p.sort();
  return p.toString();
}

const b64url = (bytes) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The action log as a URL parameter: JSON, deflate-raw, base64url. */
async function encodeRun(log) {
  if (!log.length) return '';
  const json = new TextEncoder().encode(JSON.stringify(log));
  return b64url(await pipe(json, new CompressionStream('deflate-raw')));
}

const REPLAY_OPS = new Set(['kill', 'machineCrash', 'restart', 'pause', 'isolate', 'partition', 'heal', 'healLink',
  'addServer', 'addSentinel', 'cmd', 'writeOn', 'writeOff', 'step']);

/** A `run` parameter back to the action log ([] if it cannot be read). */
async function decodeRun(param) {
  if (!param) return [];
  try {
    const json = new TextDecoder().decode(await pipe(unb64url(param), new DecompressionStream('deflate-raw')));
    const log = JSON.parse(json);
    if (!Array.isArray(log)) throw new Error('not a list');
    let prev = 0;
    for (const e of log) {
      if (!Array.isArray(e) || !Number.isSafeInteger(e[0]) || e[0] < prev || !REPLAY_OPS.has(e[1])) throw new Error('bad entry');
      prev = e[0];
    }
    return log;
  } catch (e) {
    notice(t('runUnreadable', { why: errText(e) }), 'error');
    return [];
  }
}

async function readRun() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  ui.runParam = ui.mode === 'live' ? '' : p.get('run') || '';
  ui.shared = await decodeRun(ui.runParam);
  if (!ui.shared.length) ui.runParam = '';
}

// ---- notices -----------------------------------------------------------------

function notice(text, kind = 'info') {
  const n = $('#notice');
  if (!text) { n.hidden = true; return; }
  n.textContent = text;
  n.className = 'notice' + (kind === 'error' ? ' error' : '');
  n.hidden = false;
}

function composeError(text) {
  const n = $('#compose-error');
  n.textContent = text;
  n.hidden = !text;
}

/** The Compose panel: paste, pick a file, or take the tutorial's own file. */
function wireCompose() {
  const text = $('#compose-text');
  if (!text) return;
  const usable = typeof Cluster.prototype.loadCompose === 'function';
  if (!usable) {
    $('#compose-panel').hidden = true;
    return;
  }
  $('#compose-tutorial').addEventListener('click', () => {
    text.value = Cluster.tutorialCompose();
  });
  $('#compose-file').addEventListener('change', async (e) => {
    const f = e.target.files && e.target.files[0];
    if (f) text.value = await f.text();
  });
  $('#compose-load').addEventListener('click', () => {
    if (!text.value.trim()) { composeError(t('composeEmpty')); return; }
    ui.compose = text.value;
    ui.scenario = 'free';
    // One click, as a lesson: the file's cluster starts running.
    build().then(() => setRunning(true));
  });
  $('#compose-clear').addEventListener('click', () => {
    ui.compose = null;
    composeError('');
    build();
  });
}

function attempt(fn) {
  try {
    const r = fn();
    ui.dirty = true;
    // LiveCluster's addServer / addSentinel resolve when the node runs.
    if (r instanceof Promise) r.then(() => { ui.dirty = true; }, (e) => notice(errText(e), 'error'));
    return r;
  } catch (e) {
    notice(errText(e), 'error');
    return undefined;
  }
}

// ---- building a cluster ------------------------------------------------------

function clearView() {
  ui.traceIndex = 0;
  ui.msgIndex = 0;
  ui.cards.clear();
  ui.consoles.clear();
  ui.failover = new Failover();
  ui.cuts = new Set();
  ui.isolated = new Set();
  ui.group = null;
  ui.prev = null;
  ui.events = 0;
  ui.phaseSel = null;
  ui.carry = 0;
  ui.nodes = [];
  ui.dirty = true;
  ui.write = new WriteLoad();
  ui.lessonEnd = null;
  ui.ffUntil = 0;
  $('#nodes').textContent = '';
  $('#timeline').textContent = '';
  $('#rawlog').textContent = '';
  topo = new Topology($('#topology'), t);
  topo.onLink(toggleLink);
  applyFilter();
  renderWriteToggle();
}

/**
 * Build the cluster from the scenario, seed and settings. `replay`: apply the
 * actions of the link the page was opened with (`ui.shared`) as the virtual
 * clock reaches their times; otherwise that link no longer describes the run.
 */
async function build({ replay = false } = {}) {
  const id = ++ui.buildId;
  ui.builtSettings = { ...ui.settings };
  ui.log = [];
  ui.replay = replay && ui.mode !== 'live' ? ui.shared.slice() : [];
  if (!replay) { ui.shared = []; ui.runParam = ''; }
  if (ui.c) { try { ui.c.free(); } catch { /* already freed */ } }
  ui.c = null;
  clearView();
  notice('');
  if (ui.mode === 'live') {
    try {
      const { LiveCluster } = await import('./live/live-cluster.js');
      const c = await LiveCluster.create({ topology: 'tutorial', settings: { ...ui.settings }, seed: ui.seed });
      if (id !== ui.buildId) { c.free(); return; }
      ui.c = c;
      ui.live = true;
      c.setSpeed?.(ui.speed);
      notice(t('liveNoStep'));
    } catch (e) {
      ui.mode = 'sim';
      $('#mode').value = 'sim';
      notice(t('liveUnavailable', { why: errText(e) }), 'error');
    }
  }
  if (!ui.c) {
    ui.live = false;
    const c = new Cluster(ui.seed);
    ui.c = c;
    if (ui.compose) {
      // A Compose file: its services are the nodes (no lesson schedule).
      // The parser's complaint is shown beside the file, never thrown.
      try {
        c.loadCompose(ui.compose);
        composeError('');
      } catch (e) {
        // Refused: the file stays in the panel with the reason, and the
        // default topology runs meanwhile.
        composeError(errText(e));
        ui.compose = null;
        attempt(() => c.tutorialWith({ ...ui.settings }));
      }
      ui.ffUntil = EPOCH + PRE_RUN_MS;
    } else if (ui.scenario !== 'free' && hasLessons()) {
      attempt(() => c.loadLesson(ui.scenario, { ...ui.settings }));
      // The lessons' first fault is at 00:00:20 (sim::lessons::FAULT_AT);
      // start a few seconds before it, the cluster settled.
      ui.ffUntil = EPOCH + LESSON_PRE_RUN_MS;
      ui.lessonEnd = c.lessonEnd ?? null;
      if (ui.scenario === 'partition') ui.write.start(c.now(), 200);
    } else {
      if (ui.scenario !== 'free') notice(t('lessonUnavailable'), 'error');
      attempt(() => c.tutorialWith({ ...ui.settings }));
      // Let the sentinels discover the replicas and each other (INFO every
      // 10 s, hello every 2 s), as the tutorial's cluster has when you stop
      // its master.
      // The first seconds run fast (FAST_FORWARD× for the first frames)
      // so the page paints at once and shows the cluster starting.
      if (ui.scenario === 'free') ui.ffUntil = EPOCH + PRE_RUN_MS;
    }
  }
  ui.builtAt = ui.c.now();
  // Messages of the set-up run are not animated.
  if (typeof ui.c.messagesLength === 'function') ui.msgIndex = ui.c.messagesLength();
  document.body.classList.toggle('live', ui.live);
  // LiveCluster runs on the wall clock: its runs are not replayable.
  for (const id of ['#step', '#export']) $(id).disabled = ui.live;
  $('#seed').value = String(ui.seed);
  renderLessons();
  renderSettings();
  renderWriteToggle();
  writeHash();
  refresh(true);
}

// ---- time --------------------------------------------------------------------

function fmtTime(ms) {
  const d = Math.max(0, ms - EPOCH);
  const s = Math.floor(d / 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}.${String(Math.floor(d % 1000)).padStart(3, '0')}`;
}

function speedFromSlider(v) {
  const s = Math.pow(10, Number(v));
  return s < 1 ? Math.round(s * 10) / 10 : s < 10 ? Math.round(s * 2) / 2 : Math.round(s);
}

function setSpeed(x) {
  ui.speed = x;
  $('#speed-value').textContent = `${x}×`;
  if (ui.live) ui.c?.setSpeed?.(x);
}

function setRunning(on) {
  ui.running = on;
  const b = $('#run');
  b.textContent = on ? t('pause') : t('run');
  b.dataset.i18n = on ? 'pause' : 'run';
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
  if (ui.live) ui.c?.setSpeed?.(on ? ui.speed : 0);
}

/** The api the write load uses (LiveCluster.command returns a promise). */
function writeApi() {
  const c = ui.c;
  // Simulated: the nodes as they are at this virtual time (out of band, the
  // run does not change), not as last drawn, so a replay makes the same calls.
  const nodes = () => (ui.live ? ui.nodes : c.nodes());
  return {
    command: (name, argv) => c.command(name, argv),
    sentinels: () => nodes().filter((n) => n.kind === 'sentinel' && n.up).map((n) => n.name),
    byAddr: (ip, port) => nodes().find((n) => n.ip === ip && n.port === port)?.name,
    now: () => c.now(),
  };
}

/**
 * Call a cluster method for the user and record it with its virtual time
 * (the shared link replays the record). `cmd` is a console line.
 */
function act(op, ...args) {
  const c = ui.c;
  const at = c.now() - EPOCH;
  const record = () => { if (!ui.live && ui.c === c) ui.log.push([at, op, ...args]); };
  try {
    const r = callOp(c, op, args);
    record();
    return r;
  } catch (e) {
    // A command that got no reply still ran the clock: it is part of the run.
    if (op === 'cmd') record();
    throw e;
  }
}

function callOp(c, op, args) {
  switch (op) {
    case 'cmd': return c.commandLine(args[0], args[1]);
    case 'writeOn': ui.write.start(c.now(), args[0]); renderWriteToggle(); return undefined;
    case 'writeOff': ui.write.stop(); renderWriteToggle(); return undefined;
    case 'step': {
      // To the next traced event.
      const len = c.traceLength();
      for (let i = 0; i < 20000; i++) if (!c.step() || c.traceLength() > len) break;
      return undefined;
    }
    case 'healLink':
      if (typeof c.healLink !== 'function') throw new Error(t('linkHealUnavailable'));
      return c.healLink(args[0], args[1]);
    default:
      if (!REPLAY_OPS.has(op)) throw new Error(`unknown action ${op}`);
      return c[op](...args);
  }
}

/** Run the simulation to the absolute virtual time `target`: the shared
 * link's actions as they fall due, and the write load. */
function advance(target) {
  target = Math.floor(target);
  while (ui.replay.length && EPOCH + ui.replay[0][0] <= target) {
    const [at, op, ...args] = ui.replay.shift();
    run(EPOCH + at);
    try {
      act(op, ...args);
    } catch (e) {
      if (op !== 'cmd') notice(errText(e), 'error');
    }
    ui.dirty = true;
  }
  run(target);
}

/** Run to `target` with the write load. */
function run(target) {
  const c = ui.c;
  const w = ui.write;
  let guard = 0;
  while (w.on && w.next <= target && guard++ < 1000) {
    if (w.next > c.now()) c.runUntil(w.next);
    w.write(writeApi());
    w.next += w.every;
  }
  if (target > c.now()) c.runUntil(target);
}

function loop(ts) {
  const c = ui.c;
  if (c) {
    const dt = Math.min(ts - (ui.lastFrame || ts), 100);
    if (!ui.live && ui.ffUntil && c.now() < ui.ffUntil) {
      // Fast-forward the start-up, whether running or not.
      try {
        advance(Math.min(ui.ffUntil, c.now() + Math.max(dt, 16) * FAST_FORWARD));
      } catch (e) {
        notice(errText(e), 'error');
      }
      if (c.now() >= ui.ffUntil) {
        ui.ffUntil = 0;
        ui.builtAt = c.now();
        if (typeof c.messagesLength === 'function') ui.msgIndex = c.messagesLength();
      }
    } else if (ui.running && !ui.live) {
      ui.carry += dt * ui.speed;
      const whole = Math.floor(ui.carry);
      if (whole >= 1) {
        ui.carry -= whole;
        try {
          let target = c.now() + whole;
          // Stop where the lesson's story ends (Run goes on from there).
          if (ui.lessonEnd && target >= ui.lessonEnd) {
            target = ui.lessonEnd;
            ui.lessonEnd = null;
            setRunning(false);
          }
          advance(target);
        } catch (e) {
          setRunning(false);
          notice(errText(e), 'error');
        }
      }
    }
    if (ui.live && ui.running && ui.write.on && performance.now() >= (ui.write.wallNext || 0)) {
      ui.write.wallNext = performance.now() + ui.write.every / Math.max(0.1, ui.speed);
      ui.write.writeAsync(writeApi());
    }
    try {
      refresh(false);
    } catch (e) {
      notice(errText(e), 'error');
    }
  }
  topo?.tick(ts);
  ui.lastFrame = ts;
  requestAnimationFrame(loop);
}

// ---- the view ----------------------------------------------------------------

function refresh(force) {
  const c = ui.c;
  if (!c) return;
  $('#clock').textContent = fmtTime(c.now());
  const entries = c.traceSince(ui.traceIndex);
  if (entries.length) appendTrace(entries);
  if (typeof c.messagesSince === 'function') {
    const msgs = c.messagesSince(ui.msgIndex);
    if (msgs.length) {
      ui.msgIndex = msgs[msgs.length - 1].index + 1;
      if (!document.hidden && !ui.ffUntil) topo.send(msgs);
    }
  }
  const now = performance.now();
  if (force || ui.dirty || now - ui.lastNodes > 120) {
    ui.nodes = c.nodes();
    ui.lastNodes = now;
    ui.dirty = false;
    const view = topologyView();
    topo.update(view);
    renderCards(view);
    renderPartitionSelects();
    renderWrites(view);
    renderExplain(view);
    if (typeof c.traceHash === 'function') $('#trace-hash').textContent = c.traceHash();
  }
}

function byAddrMap() {
  const m = new Map();
  for (const n of ui.nodes) m.set(`${n.ip}:${n.port}`, n);
  return m;
}

/** The master most sentinels believe in (or the only master). */
function currentMaster(byAddr) {
  const votes = new Map();
  for (const n of ui.nodes) {
    const v = n.kind === 'sentinel' && n.up && n.sentinel;
    if (!v || !v.masterIp) continue;
    const k = `${v.masterIp}:${v.masterPort}`;
    votes.set(k, (votes.get(k) || 0) + 1);
  }
  let best = null;
  for (const [k, v] of votes) if (!best || v > best[1]) best = [k, v];
  if (best && byAddr.get(best[0])) return byAddr.get(best[0]);
  return ui.nodes.find((n) => n.role === 'master' && n.up) || null;
}

function topologyView() {
  const byAddr = byAddrMap();
  const f = ui.failover;
  const inFailover = f.current && f.current !== 'sdown' && f.current !== 'odown';
  const leader = inFailover && f.leaderHost ? f.leaderHost : null;
  return { nodes: ui.nodes, leader, cuts: ui.cuts, isolated: ui.isolated, byAddr, master: currentMaster(byAddr) };
}

function appendTrace(entries) {
  const raw = $('#rawlog');
  const rawFrag = document.createDocumentFragment();
  let newEvents = false;
  for (const e of entries) {
    ui.traceIndex = e.index + 1;
    if (e.kind === 'message') continue;
    if (e.kind === 'net') {
      if (e.text === 'healed') { ui.cuts.clear(); ui.isolated.clear(); }
      else if (e.text === 'isolated') ui.isolated.add(e.host);
      else if (e.text.startsWith('partitioned from ')) ui.cuts.add([e.host, e.text.slice(17)].sort().join('|'));
      else if (e.text.startsWith('healed link to ')) ui.cuts.delete([e.host, e.text.slice(15)].sort().join('|'));
      ui.dirty = true;
    }
    if (e.kind === 'crash' || e.kind === 'start' || e.kind === 'role') ui.dirty = true;
    if (e.kind === 'sentinel') {
      addEvent(e);
      newEvents = true;
    } else {
      const li = document.createElement('li');
      li.className = 'k-' + e.kind;
      li.dataset.host = e.host;
      li.innerHTML = '<span class="t"></span><span class="h"></span><span class="x"></span>';
      li.children[0].textContent = fmtTime(e.time);
      li.children[1].textContent = e.host;
      // A script call is recorded with its arguments, never run in the page.
      li.children[2].textContent = e.kind === 'role' ? `role → ${e.text}`
        : e.kind === 'script' ? `script (not run here): ${e.text}` : e.text;
      rawFrag.append(li);
    }
    ui.prev = e;
  }
  raw.append(rawFrag);
  while (raw.childElementCount > MAX_RAW) raw.firstElementChild.remove();
  if ($('#follow').checked) {
    raw.scrollTop = raw.scrollHeight;
    if (newEvents) { const tl = $('#timeline'); tl.scrollTop = tl.scrollHeight; }
  }
  if (newEvents) { renderStepper(); ui.dirty = true; }
}

function addEvent(e) {
  const { phase } = classify(e.text);
  ui.failover.feed(e.host, e.text);
  // The log line just before is the same event with its level mark.
  const p = ui.prev;
  const mark = p && p.kind === 'log' && p.host === e.host && p.text.endsWith(e.text) ? p.text[0] : (e.text.startsWith('-') ? '#' : '*');
  // Groups follow the failover forward: an event of an earlier phase (a
  // sentinel catching up) joins the current group; a new failover (cycle)
  // starts over.
  const f = ui.failover;
  const g = ui.group;
  const forward = phase && g && (g.cycle !== f.cycle || PHASES.indexOf(phase) > PHASES.indexOf(g.phase));
  const groupPhase = forward || !g ? (phase || 'monitor') : g.phase;
  if (!g || forward) {
    const sec = document.createElement('section');
    sec.className = `group ph-${groupPhase}`;
    sec.dataset.phase = groupPhase;
    const h = document.createElement('h3');
    h.dataset.phase = groupPhase;
    h.textContent = t(`phase_${groupPhase}`);
    const ol = document.createElement('ol');
    sec.append(h, ol);
    $('#timeline').append(sec);
    ui.group = { phase: groupPhase, ol, cycle: f.cycle };
  }
  const li = document.createElement('li');
  li.dataset.host = e.host;
  li.dataset.event = e.text.split(' ', 1)[0];
  li.className = phase ? 'ev' : 'ev other';
  if (e.text.startsWith('-failover-abort')) li.classList.add('abort');
  li.innerHTML = '<span class="h"></span><code class="x"></code>';
  li.children[0].textContent = e.host;
  li.children[1].textContent = logLine(e.time, mark, e.text);
  ui.group.ol.append(li);
  ui.events++;
  const tl = $('#timeline');
  while (ui.events > MAX_EVENTS && tl.firstElementChild) {
    ui.events -= tl.firstElementChild.querySelectorAll('li').length;
    tl.firstElementChild.remove();
  }
}

function renderStepper() {
  const ol = $('#stepper');
  if (!ol.childElementCount) {
    PHASES.forEach((p, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.dataset.phase = p;
      b.innerHTML = `<span class="num">${i + 1}</span><span class="label"></span>`;
      b.addEventListener('click', () => {
        ui.phaseSel = ui.phaseSel === p ? null : p;
        renderStepper();
        renderExplain(topologyView());
      });
      li.append(b);
      ol.append(li);
    });
  }
  const f = ui.failover;
  for (const b of ol.querySelectorAll('button')) {
    const p = b.dataset.phase;
    b.querySelector('.label').textContent = t(`phase_${p}`);
    const cls = ['phase'];
    if (f.reached.has(p)) cls.push('done');
    if (f.current === p) cls.push(f.aborted ? 'aborted' : 'active');
    if (ui.phaseSel === p) cls.push('selected');
    b.className = cls.join(' ');
    b.setAttribute('aria-pressed', ui.phaseSel === p ? 'true' : 'false');
    b.setAttribute('aria-current', f.current === p ? 'step' : 'false');
  }
}

function facts(view) {
  const sentinels = ui.nodes.filter((n) => n.kind === 'sentinel');
  const f = ui.failover;
  const views = sentinels.map((s) => s.sentinel).filter(Boolean);
  const quorum = views.find((v) => v.quorum != null)?.quorum ?? ui.settings.quorum;
  const n = sentinels.length;
  const byRunId = new Map(sentinels.filter((s) => s.sentinel?.myid).map((s) => [s.sentinel.myid, s.name]));
  const votes = [];
  for (const [voter, [runid, epoch]] of f.votes) {
    if (epoch === f.epoch) votes.push(`${voter} → ${byRunId.get(runid) || runid.slice(0, 8)}`);
  }
  const selNode = f.selected && view.byAddr.get(f.selected);
  const nm = f.newMaster && view.byAddr.get(f.newMaster);
  const s = ui.settings;
  return {
    n,
    quorum,
    majority: Math.floor(n / 2) + 1,
    downAfter: views[0]?.downAfterMs ?? s.downAfterMs,
    failoverTimeout: views[0]?.failoverTimeoutMs ?? s.failoverTimeoutMs,
    parallelSyncs: views[0]?.parallelSyncs ?? s.parallelSyncs,
    epoch: f.epoch,
    configEpoch: Math.max(0, ...views.map((v) => v.configEpoch ?? 0)),
    odown: f.odownText || `?/${quorum}`,
    leader: f.leaderHost || '?',
    votes: votes.length ? t('votesLine', { epoch: f.epoch, list: votes.join(', ') }) : '',
    selected: selNode ? t('selectedLine', { name: selNode.name, offset: selNode.offset ?? '?' }) : '',
    newMaster: nm ? `${nm.name} (${f.newMaster})` : (view.master ? `${view.master.name} (${view.master.addr})` : '?'),
  };
}

function renderExplain(view) {
  const f = ui.failover;
  const phase = ui.phaseSel || f.current || 'monitor';
  const x = facts(view);
  $('#phase-title').textContent = t(`phaseTitle_${phase}`);
  $('#phase-text').textContent = t(`phaseText_${phase}`, x);
  let extra = '';
  if (f.aborted) extra = t('phaseAbort', { why: f.aborted, failoverTimeout: x.failoverTimeout });
  else if (f.sdownBy.size && !f.reached.has('odown') && f.sdownBy.size < x.quorum) {
    extra = t('noQuorumHint', { agree: f.sdownBy.size, quorum: x.quorum });
  }
  const lost = Number($('#write-stats').dataset.lost || 0);
  if (!extra && lost > 0) extra = t('lostWrites', { lost });
  $('#phase-extra').textContent = extra;
  $('#explain').className = `panel explain ph-${phase}`;
}

function renderWrites(view) {
  const w = ui.write;
  $('#w-target').textContent = w.target || '–';
  $('#w-acked').textContent = String(w.acked);
  let present = null;
  let acked = w.acked;
  if (view.master) {
    const r = ui.c.peek(view.master.name, 'LLEN writes');
    const m = r && r.match(/^\(integer\) (\d+)/);
    if (m) present = Number(m[1]);
    // LiveCluster answers as of the node's last status snapshot.
    if (typeof ui.c.peekTime === 'function') acked = w.ackedBy(ui.c.peekTime(view.master.name));
  }
  $('#w-present').textContent = present == null ? '–' : String(present);
  $('#w-present').title = view.master ? view.master.name : '';
  const lost = present == null ? 0 : Math.max(0, acked - present);
  $('#w-lost').textContent = String(lost);
  $('#write-stats').classList.toggle('has-lost', lost > 0);
  $('#write-stats').dataset.lost = String(lost);
}

function renderWriteToggle() {
  const b = $('#write-toggle');
  const on = ui.write.on;
  b.textContent = on ? t('writeStop') : t('writeStart');
  b.dataset.i18n = on ? 'writeStop' : 'writeStart';
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
}

function roleName(n) {
  if (!n.up) return t('down');
  if (n.role === 'master') return t('roleMaster');
  if (n.role === 'slave') return t('roleSlave');
  if (n.role === 'sentinel') return t('roleSentinel');
  return t('starting');
}

function makeCard(name) {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset.node = name;
  card.innerHTML = `
    <h3><span class="name"></span> <span class="badge"></span></h3>
    <div class="addr"></div>
    <dl></dl>
    <div class="actions"></div>`;
  card.querySelector('.name').textContent = name;
  const cons = makeConsole(name, (n, line) => act('cmd', n, line), {
    prompt: (n) => `${n}>`,
    noReply: () => t('noReply'),
  });
  const orig = cons.input;
  orig.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') setTimeout(() => { ui.dirty = true; }, 0); });
  card.append(cons.el);
  card.querySelector('.actions').addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    nodeAction(b.dataset.action, name);
  });
  $('#nodes').append(card);
  ui.cards.set(name, card);
  ui.consoles.set(name, cons);
  return card;
}

function nodeAction(action, name) {
  if (!ui.c) return;
  switch (action) {
    case 'kill': attempt(() => act('kill', name)); break;
    // Unlike kill, AOF bytes not synced yet are lost too.
    case 'machineCrash': attempt(() => act('machineCrash', name)); break;
    case 'restart': attempt(() => act('restart', name)); break;
    case 'pause': attempt(() => act('pause', name, 5000)); break;
    case 'isolate': attempt(() => act('isolate', name)); break;
  }
  refresh(true);
}

function button(label, action, name, cls) {
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.node = name;
  b.setAttribute('aria-label', `${label}: ${name}`);
  if (cls) b.className = cls;
  return b;
}

function renderCards(view) {
  for (const n of ui.nodes) {
    const card = ui.cards.get(n.name) || makeCard(n.name);
    const state = !n.up ? 'down' : n.paused ? 'paused' : !n.role ? 'starting' : 'up';
    const cls = `card role-${n.role || n.kind} state-${state}${view.leader === n.name ? ' leader' : ''}`;
    if (card.className !== cls) card.className = cls;
    card.querySelector('.addr').textContent = `${n.addr} · ${n.kind}`;
    const badge = card.querySelector('.badge');
    badge.textContent = t(state);
    badge.className = 'badge ' + state;
    const rows = [[t('role'), roleName(n) + (view.leader === n.name ? ` ★ ${t('leader')}` : '')], [t('runId'), n.runId ? n.runId.slice(0, 8) : '–']];
    if (n.kind === 'sentinel') {
      const v = n.sentinel;
      if (v) {
        const m = view.byAddr.get(`${v.masterIp}:${v.masterPort}`);
        rows.push([t('view'), `${m ? m.name : v.masterIp || '?'} · ${v.flags || '–'}`]);
        rows.push([t('epoch'), `${v.configEpoch ?? '–'}${v.failoverState ? ' · ' + v.failoverState : ''}`]);
      }
    } else {
      rows.push([t('offset'), n.offset ?? '–']);
      if (n.role === 'slave') rows.push([t('link'), `${n.masterHost}:${n.masterPort} ${n.linkState}${n.priority != null ? ` · ${t('priority')} ${n.priority}` : ''}`]);
      if (n.role === 'master') rows.push([t('replicas'), n.replicas.map((r) => `${r.ip}@${r.offset}`).join(' ') || '–']);
    }
    const dl = card.querySelector('dl');
    const key = JSON.stringify(rows);
    if (dl.dataset.key !== key) {
      dl.dataset.key = key;
      dl.textContent = '';
      for (const [k, v] of rows) {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = String(v);
        dl.append(dt, dd);
      }
    }
    const actions = card.querySelector('.actions');
    const killLabel = n.role === 'master' ? t('killMaster') : t('kill');
    const akey = [ui.lang, n.up, killLabel].join('|');
    if (actions.dataset.key !== akey) {
      const focused = actions.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      actions.dataset.key = akey;
      actions.textContent = '';
      if (n.up) actions.append(button(killLabel, 'kill', n.name, 'danger'));
      if (n.up && typeof ui.c.machineCrash === 'function') {
        actions.append(button(t('machineCrash'), 'machineCrash', n.name, 'danger'));
      }
      actions.append(button(t('restart'), 'restart', n.name));
      if (n.up) actions.append(button(t('pauseNode'), 'pause', n.name));
      if (n.up) actions.append(button(t('isolate'), 'isolate', n.name));
      if (focused) actions.querySelector(`[data-action="${focused}"]`)?.focus();
    }
    ui.consoles.get(n.name).setLabels(t('consolePlaceholder'), t('consoleLabel', { name: n.name }));
  }
}

function renderPartitionSelects() {
  const names = ui.nodes.map((n) => n.name);
  const key = names.join('|');
  for (const [sel, idx] of [['#part-a', 0], ['#part-b', 1]]) {
    const s = $(sel);
    if (s.dataset.key === key) continue;
    const prev = s.value;
    s.dataset.key = key;
    s.textContent = '';
    for (const n of names) {
      const o = document.createElement('option');
      o.value = o.textContent = n;
      s.append(o);
    }
    s.value = names.includes(prev) ? prev : names[Math.min(idx, names.length - 1)] || '';
  }
}

function renderLessons() {
  const box = $('#lesson-buttons');
  if (!box.childElementCount) {
    ['free', ...LESSONS].forEach((id, i) => {
      const b = document.createElement('button');
      b.dataset.lesson = id;
      b.className = 'lesson';
      if (i > 0) b.dataset.key = String(i);
      b.addEventListener('click', () => loadScenario(id));
      box.append(b);
    });
  }
  for (const b of box.querySelectorAll('button')) {
    const id = b.dataset.lesson;
    b.textContent = (b.dataset.key ? b.dataset.key + ' · ' : '') + t(`lesson_${lessonKey(id)}`);
    b.setAttribute('aria-pressed', ui.scenario === id ? 'true' : 'false');
    b.disabled = ui.live && id !== 'free';
  }
  $('#lesson-desc').textContent = t(`lessonDesc_${lessonKey(ui.scenario)}`);
}

function loadScenario(id) {
  ui.scenario = id;
  ui.compose = null;
  build().then(() => setRunning(true));
}

function renderSettings() {
  const f = $('#settings');
  for (const [k, v] of Object.entries(ui.settings)) f.elements[k].value = String(v);
}

function applyFilter() {
  if (!topo) return;
  topo.filter = new Set([...document.querySelectorAll('#msg-filter input:checked')].map((i) => i.value));
}

function applyLang() {
  document.documentElement.lang = ui.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const b of document.querySelectorAll('.lang button')) {
    b.classList.toggle('active', b.dataset.lang === ui.lang);
    b.setAttribute('aria-pressed', b.dataset.lang === ui.lang ? 'true' : 'false');
  }
  for (const h of document.querySelectorAll('#timeline h3[data-phase]')) h.textContent = t(`phase_${h.dataset.phase}`);
  for (const s of document.querySelectorAll('#msg-filter label span')) s.textContent = t(`msg_${s.dataset.kind}`);
  setRunning(ui.running);
  renderWriteToggle();
  renderLessons();
  renderStepper();
  writeHash();
  ui.dirty = true;
  refresh(true);
}

// ---- actions -------------------------------------------------------------------

function liveSentinels() {
  return ui.nodes.filter((n) => n.kind === 'sentinel' && n.up && !n.paused);
}

function killMaster() {
  const m = topologyView().master;
  if (m && m.up) nodeAction('kill', m.name);
}

function nextFreeIp() {
  const used = new Set(ui.nodes.map((n) => n.ip));
  for (let i = 2; i < 255; i++) if (!used.has(`172.24.0.${i}`)) return `172.24.0.${i}`;
  return null;
}

function nextName(prefix) {
  for (let i = 1; ; i++) if (!ui.nodes.some((n) => n.name === `${prefix}${i}`)) return `${prefix}${i}`;
}

function addNode(kind) {
  const ip = nextFreeIp();
  const m = topologyView().master;
  if (!ip || !m) return;
  if (kind === 'server') {
    attempt(() => act('addServer', nextName('redis_slave'), ip, 6379, Cluster.serverConfig(m.ip, m.port)));
  } else {
    const s = { ...ui.settings };
    const v = liveSentinels()[0]?.sentinel;
    if (v) {
      s.quorum = v.quorum ?? s.quorum;
      s.downAfterMs = v.downAfterMs ?? s.downAfterMs;
      s.failoverTimeoutMs = v.failoverTimeoutMs ?? s.failoverTimeoutMs;
      s.parallelSyncs = v.parallelSyncs ?? s.parallelSyncs;
    }
    attempt(() => act('addSentinel', nextName('redis-sentinel'), ip, 26379, Cluster.sentinelConfig(m.ip, m.port, s)));
  }
  refresh(true);
}

async function command(name, line) {
  return String(await act('cmd', name, line));
}

async function manualFailover() {
  const s = liveSentinels()[0];
  if (!s) return;
  try {
    const r = await command(s.name, 'SENTINEL FAILOVER mymaster');
    notice(`${s.name}> SENTINEL FAILOVER mymaster → ${r}`, r.startsWith('(error)') ? 'error' : 'info');
  } catch (e) {
    notice(errText(e), 'error');
  }
  ui.dirty = true;
}

/** FAILOVER sent to the master itself: Redis's coordinated hand-over to a
 * caught-up replica (writes paused meanwhile), no sentinel involved. */
async function coordinatedFailover() {
  const m = topologyView().master;
  if (!m || !m.up) return;
  try {
    const r = await command(m.name, 'FAILOVER');
    notice(`${m.name}> FAILOVER → ${r}`, r.startsWith('(error)') ? 'error' : 'info');
  } catch (e) {
    notice(errText(e), 'error');
  }
  ui.dirty = true;
}

async function applySettings(s) {
  const before = ui.c && ui.c.now() === ui.builtAt && !ui.live;
  ui.settings = s;
  if (before || !ui.c) {
    await build();
    notice(t('settingsRebuilt'));
    return;
  }
  const line = `SENTINEL SET mymaster quorum ${s.quorum} down-after-milliseconds ${s.downAfterMs} failover-timeout ${s.failoverTimeoutMs} parallel-syncs ${s.parallelSyncs}`;
  let n = 0;
  for (const x of liveSentinels()) {
    try {
      const r = await command(x.name, line);
      if (!r.startsWith('(error)')) n++;
      else notice(`${x.name}: ${r}`, 'error');
    } catch (e) {
      notice(errText(e), 'error');
    }
  }
  notice(t('settingsSent', { n }));
  writeHash();
  ui.dirty = true;
}

/** A link of the picture clicked: cut the network between its nodes, or heal that cut. */
function toggleLink(a, b, cut) {
  if (!ui.c || a === b) return;
  attempt(() => act(cut ? 'healLink' : 'partition', a, b));
  refresh(true);
}

function step() {
  if (ui.live || !ui.c) return;
  setRunning(false);
  attempt(() => act('step'));
  refresh(true);
}

// ---- wiring ----------------------------------------------------------------------

function wire() {
  $('#run').addEventListener('click', () => setRunning(!ui.running));
  $('#step').addEventListener('click', step);
  $('#speed').addEventListener('input', (e) => setSpeed(speedFromSlider(e.target.value)));
  $('#reset').addEventListener('click', () => {
    const seed = Number($('#seed').value);
    if (!Number.isSafeInteger(seed) || seed < 0) { notice('seed: 0 … 2^53', 'error'); return; }
    ui.seed = seed;
    build();
  });
  $('#partition').addEventListener('click', () => {
    const a = $('#part-a').value;
    const b = $('#part-b').value;
    if (a === b) { notice(t('partitionSame'), 'error'); return; }
    attempt(() => act('partition', a, b));
    refresh(true);
  });
  $('#heal').addEventListener('click', () => { attempt(() => act('heal')); refresh(true); });
  $('#add-replica').addEventListener('click', () => addNode('server'));
  $('#add-sentinel').addEventListener('click', () => addNode('sentinel'));
  $('#failover').addEventListener('click', manualFailover);
  $('#coordinated-failover').addEventListener('click', coordinatedFailover);
  $('#write-toggle').addEventListener('click', () => {
    if (ui.write.on) act('writeOff');
    else act('writeOn', Number($('#write-every').value) || 250);
    renderWriteToggle();
  });
  $('#settings').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const v = (k, min) => Math.max(min, Math.floor(Number(f[k].value) || 0));
    applySettings({ quorum: v('quorum', 1), downAfterMs: v('downAfterMs', 1), failoverTimeoutMs: v('failoverTimeoutMs', 1), parallelSyncs: v('parallelSyncs', 1) });
  });
  $('#share').addEventListener('click', async () => {
    if (!ui.live) {
      // The actions so far and those of the opened link still to come.
      try { ui.runParam = await encodeRun(ui.log.concat(ui.replay)); } catch (e) { notice(errText(e), 'error'); return; }
    }
    writeHash();
    try { await navigator.clipboard.writeText(location.href); } catch { /* no clipboard: the URL bar has it */ }
    notice(t('linkCopied'));
  });
  $('#export').addEventListener('click', () => {
    if (ui.live) return;
    const json = attempt(() => ui.c.exportScenario());
    if (!json) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    a.download = `sentinel-lab-${ui.scenario}-seed${ui.seed}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  $('.file-button').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#import').click(); }
  });
  $('#import').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    const text = await f.text();
    e.target.value = '';
    const c = attempt(() => Cluster.importScenario(text));
    if (!c) return;
    setRunning(false);
    if (ui.c) ui.c.free();
    ui.c = c;
    ui.live = false;
    ui.seed = c.seed;
    ui.log = [];
    ui.replay = [];
    ui.shared = [];
    ui.runParam = '';
    clearView();
    ui.builtAt = -1;
    $('#seed').value = String(ui.seed);
    notice(t('imported', { n: JSON.parse(text).actions.length }));
    refresh(true);
  });
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => { ui.lang = b.dataset.lang; applyLang(); });
  }
  $('#large').addEventListener('click', toggleLarge);
  $('#mode').addEventListener('change', (e) => {
    ui.mode = e.target.value;
    if (ui.mode === 'live') ui.scenario = 'free';
    build().then(() => setRunning(true));
  });
  $('#raw').addEventListener('change', (e) => {
    $('#rawlog').hidden = !e.target.checked;
    $('#timeline').hidden = e.target.checked;
  });
  const filter = $('#msg-filter');
  for (const k of MSG_KINDS) {
    const l = document.createElement('label');
    l.className = `mk k-${k}`;
    l.innerHTML = `<input type="checkbox" value="${k}"${k === 'replies' ? '' : ' checked'}> <i class="dot"></i><span data-kind="${k}"></span>`;
    filter.append(l);
  }
  filter.addEventListener('change', applyFilter);
  window.addEventListener('hashchange', async () => {
    const same = runKey(location.hash) === runKey(ui.lastHash);
    const lang = ui.lang;
    readHash();
    if (!same) {
      $('#mode').value = ui.mode;
      // A link names a lesson or free play, not a Compose file.
      ui.compose = null;
      await readRun();
      applyLang();
      await build({ replay: true });
    } else if (ui.lang !== lang) {
      applyLang();
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = e.target.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    const k = e.key.toLowerCase();
    if (k === ' ' && tag !== 'BUTTON') { e.preventDefault(); setRunning(!ui.running); }
    else if (k === 'n') step();
    else if (k === 'k') killMaster();
    else if (k === 'h') { attempt(() => act('heal')); refresh(true); }
    else if (k === 'l') toggleLarge();
    else if (/^[1-9]$/.test(k) && !ui.live) loadScenario(LESSONS[Number(k) - 1]);
  });
}

function toggleLarge() {
  const on = !document.documentElement.classList.contains('large');
  document.documentElement.classList.toggle('large', on);
  $('#large').setAttribute('aria-pressed', on ? 'true' : 'false');
  try { localStorage.setItem('sentinel-lab-large', on ? '1' : ''); } catch { /* private mode */ }
}

// For tests and the curious (devtools): the virtual time and the cluster.
window.sentinelLab = {
  virtualMs: () => (ui.c ? ui.c.now() - EPOCH : 0),
  cluster: () => ui.c,
  // Run (simulated, paused) to `ms` of virtual time as the page would: a
  // shared link's actions and the write load included.
  runTo: (ms) => { if (ui.c && !ui.live) { advance(EPOCH + ms); refresh(true); } return ui.c ? ui.c.now() - EPOCH : 0; },
  hasLessons,
  state: () => ({ scenario: ui.scenario, seed: ui.seed, mode: ui.mode, live: ui.live, running: ui.running, speed: ui.speed, lost: ui.write.acked,
    logged: ui.log.length, pending: ui.replay.length }),
};

async function main() {
  readHash();
  await readRun();
  try { if (localStorage.getItem('sentinel-lab-large')) toggleLarge(); } catch { /* private mode */ }
  $('#mode').value = ui.mode;
  performance.mark('init-start');
  await init();
  performance.mark('init-done');
  $('#version').textContent = 'v' + version();
  wire();
  wireCompose();
  topo = new Topology($('#topology'), t);
  topo.onLink(toggleLink);
  applyLang();
  performance.mark('build-start');
  await build({ replay: true });
  performance.mark('build-done');
  setRunning(true);
  document.body.dataset.ready = 'true';
  requestAnimationFrame(() => {
    const ms = Math.round(performance.now());
    document.body.dataset.loadMs = String(ms);
    $('#load-time').textContent = t('loadTime', { ms });
  });
  requestAnimationFrame(loop);
}

main().catch((e) => {
  notice(`failed to start: ${errText(e)}`, 'error');
  throw e;
});

export { T_START };
