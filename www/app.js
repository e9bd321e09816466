// sentinel-lab web UI: one deterministic simulated cluster (the wasm `Cluster`)
// driven by the page's clock × speed. Plain ES module, no bundler, no network:
// the page is served from the crate root so that ../pkg/ is reachable.

import init, { Cluster, version } from '../pkg/sentinel_lab.js';
import { translate } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const SVG = 'http://www.w3.org/2000/svg';
const MAX_TIMELINE = 4000;

const ui = {
  lang: 'en',
  scenario: 'tutorial',
  seed: 1,
  running: false,
  speed: 1,
  cluster: null,
  t0: 0,
  traceIndex: 0,
  nodes: [],
  order: [],          // node names in the order they were added (layout is stable)
  cards: new Map(),   // name -> card element
  carry: 0,
  lastFrame: 0,
  lastNodesRefresh: 0,
  dirty: true,
};

const t = (key, vars) => translate(ui.lang, key, vars);

// ---- URL hash: #scenario=tutorial&seed=1&lang=ko ---------------------------

function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (p.get('scenario')) ui.scenario = p.get('scenario');
  const seed = Number(p.get('seed'));
  if (p.has('seed') && Number.isSafeInteger(seed) && seed >= 0) ui.seed = seed;
  if (p.get('lang') === 'ko' || p.get('lang') === 'en') ui.lang = p.get('lang');
}

function writeHash() {
  const p = new URLSearchParams({ scenario: ui.scenario, seed: String(ui.seed), lang: ui.lang });
  history.replaceState(null, '', '#' + p.toString());
}

// ---- notices ---------------------------------------------------------------

// A notice given by key is translated again when the language changes.
function notice(text, kind = 'info', key = null) {
  ui.noticeKey = key;
  const n = $('#notice');
  if (!text) { n.hidden = true; return; }
  n.textContent = text;
  n.className = 'notice' + (kind === 'error' ? ' error' : '');
  n.hidden = false;
}

function attempt(fn) {
  try {
    const r = fn();
    ui.dirty = true;
    return r;
  } catch (e) {
    notice(String(e && e.message ? e.message : e), 'error');
    return undefined;
  }
}

// ---- building a cluster ----------------------------------------------------

function newCluster(cluster) {
  if (ui.cluster) ui.cluster.free();
  ui.cluster = cluster;
  ui.t0 = 1767225600000; // the simulator's epoch (sim::scenario::SCENARIO_START)
  ui.traceIndex = 0;
  ui.order = [];
  ui.cards.clear();
  $('#nodes').textContent = '';
  $('#timeline').textContent = '';
  ui.carry = 0;
  ui.dirty = true;
  notice('');
}

function build() {
  const c = new Cluster(ui.seed);
  newCluster(c);
  if (ui.scenario === 'tutorial') {
    attempt(() => c.tutorial());
    if (!Cluster.sentinelAvailable()) notice(t('noSentinel'), 'info', 'noSentinel');
  }
  $('#seed').value = String(ui.seed);
  $('#scenario').value = ui.scenario;
  writeHash();
  refresh(true);
}

// ---- time ------------------------------------------------------------------

function fmtTime(ms) {
  const d = Math.max(0, ms - ui.t0);
  const s = Math.floor(d / 1000);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${String(d % 1000).padStart(3, '0')}`;
}

function speedFromSlider(v) {
  // slider: log10 of the speed, -1 .. 2  ->  0.1× .. 100×
  const s = Math.pow(10, Number(v));
  return s < 1 ? Math.round(s * 10) / 10 : s < 10 ? Math.round(s * 2) / 2 : Math.round(s);
}

function setRunning(on) {
  ui.running = on;
  const b = $('#run');
  b.textContent = on ? t('pause') : t('run');
  b.dataset.i18n = on ? 'pause' : 'run';
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
}

function loop(ts) {
  if (ui.running && ui.cluster) {
    const dt = Math.min(ts - (ui.lastFrame || ts), 250);
    ui.carry += dt * ui.speed;
    const whole = Math.floor(ui.carry);
    if (whole >= 1) {
      ui.carry -= whole;
      try {
        ui.cluster.runFor(whole);
      } catch (e) {
        setRunning(false);
        notice(String(e && e.message ? e.message : e), 'error');
      }
    }
  }
  ui.lastFrame = ts;
  refresh(false);
  requestAnimationFrame(loop);
}

// ---- refreshing the view ---------------------------------------------------

function refresh(force) {
  const c = ui.cluster;
  if (!c) return;
  $('#clock').textContent = fmtTime(c.now());
  appendTrace(c.traceSince(ui.traceIndex));
  const now = performance.now();
  if (force || ui.dirty || now - ui.lastNodesRefresh > 100) {
    ui.nodes = c.nodes();
    ui.lastNodesRefresh = now;
    ui.dirty = false;
    for (const n of ui.nodes) if (!ui.order.includes(n.name)) ui.order.push(n.name);
    renderCards();
    renderTopology();
    renderPartitionSelects();
    $('#trace-hash').textContent = c.traceHash();
  }
}

function appendTrace(entries) {
  if (!entries.length) return;
  const ol = $('#timeline');
  const frag = document.createDocumentFragment();
  for (const e of entries) {
    ui.traceIndex = e.index + 1;
    if (e.kind === 'message') continue;
    const li = document.createElement('li');
    li.className = 'k-' + e.kind;
    if (e.kind === 'log' && e.text.startsWith('#')) li.classList.add('warning');
    if (e.kind === 'log' && /^[*#] [+-]/.test(e.text)) li.classList.add('sentinel-event');
    li.dataset.host = e.host;
    const tm = document.createElement('span');
    tm.className = 't';
    tm.textContent = fmtTime(e.time);
    const h = document.createElement('span');
    h.className = 'h';
    h.textContent = e.host;
    const x = document.createElement('span');
    x.className = 'x';
    x.textContent = e.kind === 'role' ? `role → ${e.text}` : e.text;
    li.append(tm, h, x);
    frag.append(li);
  }
  ol.append(frag);
  while (ol.childElementCount > MAX_TIMELINE) ol.firstElementChild.remove();
  if ($('#follow').checked) ol.scrollTop = ol.scrollHeight;
}

function roleName(role) {
  if (role === 'master') return t('roleMaster');
  if (role === 'slave') return t('roleSlave');
  if (role === 'sentinel') return t('roleSentinel');
  return role || '–';
}

function nodeState(n) {
  if (!n.up) return 'down';
  if (n.paused) return 'paused';
  if (!n.role) return 'starting';
  return 'up';
}

function button(label, action, name, cls) {
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.node = name;
  if (cls) b.className = cls;
  return b;
}

function makeCard(name) {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset.node = name;
  card.innerHTML = `
    <h3><span class="name"></span><span class="badge"></span></h3>
    <div class="addr"></div>
    <dl>
      <dt data-k="role"></dt><dd data-v="role"></dd>
      <dt data-k="runId"></dt><dd data-v="runId"></dd>
      <dt data-k="offset"></dt><dd data-v="offset"></dd>
      <dt data-k="link"></dt><dd data-v="link"></dd>
    </dl>
    <div class="actions"></div>
    <div class="console">
      <input type="text" spellcheck="false" autocomplete="off">
      <pre></pre>
    </div>`;
  card.querySelector('.name').textContent = name;
  const input = card.querySelector('.console input');
  input.dataset.node = name;
  input.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const line = input.value.trim();
    if (!line) return;
    input.value = '';
    runConsole(name, line, card.querySelector('.console pre'));
  });
  card.querySelector('.actions').addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    const c = ui.cluster;
    const n = b.dataset.node;
    switch (b.dataset.action) {
      case 'kill': attempt(() => c.kill(n)); break;
      case 'restart': attempt(() => c.restart(n)); break;
      case 'pause': attempt(() => c.pause(n, 5000)); break;
      case 'isolate': attempt(() => c.isolate(n)); break;
    }
    refresh(true);
  });
  $('#nodes').append(card);
  ui.cards.set(name, card);
  return card;
}

function runConsole(name, line, pre) {
  const prompt = document.createElement('span');
  prompt.className = 'prompt';
  prompt.textContent = `${name}> ${line}\n`;
  const out = document.createElement('span');
  try {
    const reply = ui.cluster.commandLine(name, line);
    out.textContent = reply + '\n';
    if (reply.startsWith('(error)')) out.className = 'err';
  } catch (e) {
    out.textContent = `(${t('noReply')}) ${e.message || e}\n`;
    out.className = 'err';
  }
  pre.append(prompt, out);
  pre.scrollTop = pre.scrollHeight;
  ui.dirty = true;
  refresh(true);
}

function renderCards() {
  for (const n of ui.nodes) {
    const card = ui.cards.get(n.name) || makeCard(n.name);
    const state = nodeState(n);
    card.className = `card role-${n.role || n.kind} state-${state}`;
    card.querySelector('.addr').textContent = `${n.addr} · ${n.kind}`;
    const badge = card.querySelector('.badge');
    badge.textContent = t(state);
    badge.className = 'badge ' + state;
    for (const dt of card.querySelectorAll('dt')) dt.textContent = t(dt.dataset.k);
    const v = (k) => card.querySelector(`dd[data-v="${k}"]`);
    v('role').textContent = roleName(n.role);
    v('runId').textContent = n.runId ? n.runId.slice(0, 8) : '–';
    v('offset').textContent = n.offset ?? '–';
    if (n.role === 'slave') {
      v('link').textContent = `${n.masterHost}:${n.masterPort} ${n.linkState}`;
      card.querySelector('dt[data-k="link"]').textContent = t('link');
    } else if (n.role === 'master') {
      card.querySelector('dt[data-k="link"]').textContent = t('replicas');
      v('link').textContent = n.replicas.map((r) => `${r.ip}:${r.port}@${r.offset}`).join(' ') || '–';
    } else {
      v('link').textContent = '–';
    }
    // Actions (rebuilt only when the labels change, so clicks are never lost).
    const actions = card.querySelector('.actions');
    const killLabel = n.role === 'master' ? t('killMaster') : t('kill');
    const key = [ui.lang, n.up, killLabel].join('|');
    if (actions.dataset.key !== key) {
      actions.dataset.key = key;
      actions.textContent = '';
      if (n.up) actions.append(button(killLabel, 'kill', n.name, 'danger'));
      actions.append(button(t('restart'), 'restart', n.name));
      if (n.up) actions.append(button(t('pauseNode'), 'pause', n.name));
      if (n.up) actions.append(button(t('isolate'), 'isolate', n.name));
    }
    card.querySelector('.console input').placeholder = t('consolePlaceholder');
  }
}

// Fixed places by the order nodes were added: the first server on top, the
// other servers in a row below, sentinels in a column on the right.
function layout() {
  const pos = new Map();
  const byName = new Map(ui.nodes.map((n) => [n.name, n]));
  const servers = ui.order.filter((n) => byName.get(n)?.kind !== 'sentinel');
  const sentinels = ui.order.filter((n) => byName.get(n)?.kind === 'sentinel');
  const width = sentinels.length ? 640 : 900;
  if (servers.length) pos.set(servers[0], { x: width / 2, y: 70 });
  const rest = servers.slice(1);
  rest.forEach((n, i) => pos.set(n, { x: (width * (i + 1)) / (rest.length + 1), y: 300 }));
  sentinels.forEach((n, i) => pos.set(n, { x: 790, y: (420 * (i + 1)) / (sentinels.length + 1) }));
  return pos;
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function renderTopology() {
  const root = $('#topology');
  root.textContent = '';
  const pos = layout();
  const byAddr = new Map(ui.nodes.map((n) => [`${n.ip}:${n.port}`, n]));
  const W = 190, H = 78;
  // Links first, under the nodes.
  for (const n of ui.nodes) {
    if (n.role === 'slave' && n.masterHost) {
      const m = byAddr.get(`${n.masterHost}:${n.masterPort}`);
      if (m && pos.get(m.name) && pos.get(n.name)) {
        const a = pos.get(m.name), b = pos.get(n.name);
        const up = n.linkState === 'connected' && m.up;
        const line = svg('line', { x1: a.x, y1: a.y + H / 2, x2: b.x, y2: b.y - H / 2, class: 'link ' + (up ? 'up' : 'down') });
        line.dataset.from = m.name;
        line.dataset.to = n.name;
        root.append(line);
      }
    }
    if (n.kind === 'sentinel' && n.up) {
      for (const m of ui.nodes.filter((x) => x.role === 'master')) {
        const a = pos.get(n.name), b = pos.get(m.name);
        if (a && b) root.append(svg('line', { x1: a.x - W / 2, y1: a.y, x2: b.x + W / 2, y2: b.y, class: 'link sentinel' }));
      }
    }
  }
  for (const n of ui.nodes) {
    const p = pos.get(n.name);
    if (!p) continue;
    const state = nodeState(n);
    const g = svg('g', { class: `node role-${n.role || n.kind} state-${state}`, transform: `translate(${p.x - W / 2},${p.y - H / 2})` });
    g.dataset.node = n.name;
    g.append(svg('rect', { width: W, height: H, rx: 8 }));
    g.append(svg('text', { x: 10, y: 20, class: 'name' }, n.name));
    g.append(svg('text', { x: W - 10, y: 20, 'text-anchor': 'end', class: 'meta' }, t(state)));
    g.append(svg('text', { x: 10, y: 40, class: 'meta' }, `${n.addr} · ${roleName(n.role)}`));
    const runId = n.runId ? n.runId.slice(0, 8) : '–';
    g.append(svg('text', { x: 10, y: 58, class: 'meta' }, `id ${runId} · off ${n.offset ?? '–'}`));
    if (n.role === 'slave') g.append(svg('text', { x: 10, y: 72, class: 'meta' }, `link ${n.linkState}`));
    root.append(g);
  }
}

function renderPartitionSelects() {
  const names = ui.nodes.map((n) => n.name);
  for (const [sel, dflt] of [['#part-a', 0], ['#part-b', 1]]) {
    const s = $(sel);
    const key = names.join('|');
    if (s.dataset.key === key) continue;
    const keep = s.value;
    s.dataset.key = key;
    s.textContent = '';
    for (const n of names) s.append(new Option(n, n));
    s.value = names.includes(keep) ? keep : names[dflt] ?? '';
  }
}

// ---- language ----------------------------------------------------------------

function applyLang() {
  document.documentElement.lang = ui.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const b of document.querySelectorAll('.lang button')) b.classList.toggle('active', b.dataset.lang === ui.lang);
  setRunning(ui.running);
  if (ui.noticeKey) notice(t(ui.noticeKey), 'info', ui.noticeKey);
  writeHash();
  ui.dirty = true;
  refresh(true);
}

// ---- wiring ------------------------------------------------------------------

function wire() {
  $('#run').addEventListener('click', () => setRunning(!ui.running));
  $('#step').addEventListener('click', () => { attempt(() => ui.cluster.step()); refresh(true); });
  $('#speed').addEventListener('input', (e) => {
    ui.speed = speedFromSlider(e.target.value);
    $('#speed-value').textContent = `${ui.speed}×`;
  });
  $('#reset').addEventListener('click', () => {
    const seed = Number($('#seed').value);
    if (!Number.isSafeInteger(seed) || seed < 0) { notice('seed: 0 … 2^53', 'error'); return; }
    ui.seed = seed;
    ui.scenario = $('#scenario').value;
    build();
  });
  $('#scenario').addEventListener('change', () => $('#reset').click());
  $('#partition').addEventListener('click', () => {
    const a = $('#part-a').value, b = $('#part-b').value;
    if (a === b) { notice(t('partitionSame'), 'error'); return; }
    attempt(() => ui.cluster.partition(a, b));
    refresh(true);
  });
  $('#heal').addEventListener('click', () => { attempt(() => ui.cluster.heal()); refresh(true); });
  $('#export').addEventListener('click', () => {
    const json = attempt(() => ui.cluster.exportScenario());
    if (!json) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    a.download = `sentinel-lab-seed${ui.seed}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  $('#import').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    const text = await f.text();
    e.target.value = '';
    const c = attempt(() => Cluster.importScenario(text));
    if (!c) return;
    setRunning(false);
    ui.seed = c.seed;
    newCluster(c);
    $('#seed').value = String(ui.seed);
    notice(t('imported', { n: JSON.parse(text).actions.length }));
    writeHash();
    refresh(true);
  });
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => { ui.lang = b.dataset.lang; applyLang(); });
  }
  $('#show-net').addEventListener('change', (e) => $('#timeline').classList.toggle('hide-net', !e.target.checked));
  window.addEventListener('hashchange', () => {
    const before = [ui.scenario, ui.seed, ui.lang].join('|');
    readHash();
    if ([ui.scenario, ui.seed, ui.lang].join('|') === before) return;
    applyLang();
    build();
  });
}

async function main() {
  readHash();
  await init();
  $('#version').textContent = 'v' + version();
  wire();
  applyLang();
  build();
  setRunning(true);
  document.body.dataset.ready = 'true';
  requestAnimationFrame(loop);
}

main().catch((e) => {
  notice(`failed to start: ${e && e.message ? e.message : e}`, 'error');
  throw e;
});
