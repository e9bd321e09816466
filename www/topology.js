// The topology as SVG: nodes, replication / monitoring / hello links, cut
// links, and messages moving along them. Elements are made once per node or
// link and then only their attributes change, so a frame costs little.

const SVG = 'http://www.w3.org/2000/svg';
const W = 1000;
const H = 560;
const BOX_W = 232;
const BOX_H = 84;
const FLIGHT_MS = 650;
const MAX_FLYING = 60;
const IMPORTANT = new Set(['vote', 'replicaof', 'psync', 'rdb']);

/** Bytes as Redis's *_human INFO fields print them (B, K, M, G). */
function humanBytes(n) {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${v.toFixed(2)}${units[u]}`;
}

function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

function setAttr(e, k, v) {
  v = String(v);
  if (e.getAttribute(k) !== v) e.setAttribute(k, v);
}

function setText(e, v) {
  if (e.textContent !== v) e.textContent = v;
}

/** Places along an arc: `n` items, middle one pushed by `bulge`. */
function arc(n, y, bulge) {
  const out = [];
  const gap = n > 1 ? Math.min(300, 780 / (n - 1)) : 0;
  for (let i = 0; i < n; i++) {
    const x = W / 2 + (i - (n - 1) / 2) * gap;
    const d = n > 1 ? Math.abs(x - W / 2) / (gap * (n - 1) / 2) : 0;
    out.push([x, y + bulge * (1 - d * d)]);
  }
  return out;
}

/** A reply nobody needs to see by default (+PONG, INFO's text, +OK, ...). */
function isReply(m) {
  if (m.kind === 'vote' || m.kind === 'psync' || m.kind === 'rdb' || m.kind === 'client') return false;
  return m.name.endsWith(' reply') || /^[+-]/.test(m.name);
}

/** A short label for a message in flight ('' for none: keeps the picture calm). */
function shortLabel(m) {
  const n = m.name;
  // An error reply is the reason a link fails (a wrong password's -NOAUTH /
  // -WRONGPASS before +sdown, -LOADING, -MASTERDOWN): always shown.
  if (n.startsWith('-')) return n;
  const reply = n.endsWith(' reply');
  switch (m.kind) {
    case 'rdb': return 'RDB';
    case 'vote':
      if (n.includes('(vote?)')) return reply ? 'vote ↩' : 'vote?';
      return '';
    case 'replicaof':
      return /^(SLAVEOF|REPLICAOF)/.test(n) ? n.replace(/ \(\+\d+\)$/, '') : '';
    case 'psync':
      if (/^(PSYNC|SYNC|\+FULLRESYNC|\+CONTINUE)/.test(n)) return n.replace(/ \(\+\d+\)$/, '');
      return '';
    case 'client': return n.split(' ')[0];
    default: return '';
  }
}

export class Topology {
  constructor(svg, t) {
    this.svg = svg;
    this.t = t;
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.textContent = '';
    const defs = el('defs', {}, svg);
    const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, marker);
    this.gLinks = el('g', { class: 'links' }, svg);
    this.gNodes = el('g', { class: 'nodes' }, svg);
    this.gMsgs = el('g', { class: 'msgs' }, svg);
    this.nodeEls = new Map();
    this.linkEls = new Map();
    this.pos = new Map();
    this.flying = [];
    this.pool = [];
    this.filter = new Set(['ping', 'info', 'hello', 'vote', 'replicaof', 'psync', 'stream', 'client']);
    this.client = this.makeClient();
  }

  makeClient() {
    const g = el('g', { class: 'node client', 'data-node': 'client' }, this.gNodes);
    el('rect', { x: -44, y: -20, width: 88, height: 40, rx: 8 }, g);
    const tx = el('text', { y: -3, 'text-anchor': 'middle', class: 'name' }, g);
    tx.textContent = 'client';
    const ip = el('text', { y: 12, 'text-anchor': 'middle', class: 'meta' }, g);
    ip.textContent = '10.0.0.100';
    g.setAttribute('transform', 'translate(60 290)');
    this.pos.set('client', [60, 290]);
    return g;
  }

  layout(nodes) {
    const servers = nodes.filter((n) => n.kind !== 'sentinel');
    const sentinels = nodes.filter((n) => n.kind === 'sentinel');
    arc(servers.length, 410, 55).forEach((p, i) => this.pos.set(servers[i].name, p));
    arc(sentinels.length, 125, -50).forEach((p, i) => this.pos.set(sentinels[i].name, p));
  }

  nodeEl(n) {
    let e = this.nodeEls.get(n.name);
    if (e) return e;
    const g = el('g', { class: 'node', 'data-node': n.name, tabindex: '-1' }, this.gNodes);
    const ring = el('rect', { class: 'ring', x: -BOX_W / 2 - 7, y: -BOX_H / 2 - 7, width: BOX_W + 14, height: BOX_H + 14, rx: 14 }, g);
    const rect = el('rect', { class: 'box', x: -BOX_W / 2, y: -BOX_H / 2, width: BOX_W, height: BOX_H, rx: 9 }, g);
    const name = el('text', { class: 'name', x: -BOX_W / 2 + 10, y: -BOX_H / 2 + 19 }, g);
    const addr = el('text', { class: 'meta addr', x: BOX_W / 2 - 9, y: -BOX_H / 2 + 19, 'text-anchor': 'end' }, g);
    const line1 = el('text', { class: 'line1', x: -BOX_W / 2 + 10, y: -BOX_H / 2 + 40 }, g);
    const line2 = el('text', { class: 'meta line2', x: -BOX_W / 2 + 10, y: -BOX_H / 2 + 58 }, g);
    const line3 = el('text', { class: 'meta line3', x: -BOX_W / 2 + 10, y: -BOX_H / 2 + 75 }, g);
    const crown = el('g', { class: 'leader-badge', transform: `translate(${BOX_W / 2 - 30} ${-BOX_H / 2 - 2})` }, g);
    el('rect', { x: -28, y: -11, width: 58, height: 20, rx: 10 }, crown);
    const crownText = el('text', { x: 1, y: 4, 'text-anchor': 'middle' }, crown);
    const title = el('title', {}, g);
    e = { g, ring, rect, name, addr, line1, line2, line3, crown, crownText, title };
    this.nodeEls.set(n.name, e);
    return e;
  }

  linkEl(key, cls) {
    let e = this.linkEls.get(key);
    if (!e) {
      // Every link is a button: click (or Enter / Space) cuts the network
      // between its two nodes, or heals that cut. A wide invisible stroke
      // makes thin links easy to hit.
      const g = el('g', { class: 'linkg', tabindex: '0', role: 'button' }, this.gLinks);
      const hit = el('path', { class: 'link-hit' }, g);
      const path = el('path', { class: cls }, g);
      const label = el('text', { class: 'link-label', 'text-anchor': 'middle' }, g);
      const title = el('title', {}, g);
      e = { g, hit, path, label, title, seen: 0 };
      this.linkEls.set(key, e);
    }
    return e;
  }

  /** Call `fn(a, b, cut)` when a link is clicked or toggled from the keyboard. */
  onLink(fn) {
    const pick = (ev) => {
      const g = ev.target.closest?.('.linkg[data-a]');
      if (!g) return false;
      fn(g.dataset.a, g.dataset.b, g.classList.contains('is-cut'));
      return true;
    };
    // Handler properties, not listeners: a new Topology on the same <svg>
    // replaces them instead of adding a second toggle.
    this.svg.onclick = (ev) => { pick(ev); };
    this.svg.onkeydown = (ev) => {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (pick(ev)) { ev.preventDefault(); ev.stopPropagation(); }
    };
  }

  /**
   * Draw the cluster. `view`: { nodes, leader (name), cuts (Set of "a|b"),
   * isolated (Set), byAddr (Map "ip:port" -> node) }.
   */
  update(view) {
    const { nodes, leader, cuts, isolated, byAddr } = view;
    this.layout(nodes);
    const t = this.t;
    this.stamp = (this.stamp || 0) + 1;
    const stamp = this.stamp;
    for (const n of nodes) {
      const e = this.nodeEl(n);
      const [x, y] = this.pos.get(n.name);
      setAttr(e.g, 'transform', `translate(${x} ${y})`);
      const state = !n.up ? 'down' : n.paused ? 'paused' : !n.role ? 'starting' : 'up';
      const role = n.role || n.kind;
      let cls = `node role-${role} state-${state}`;
      if (isolated.has(n.name)) cls += ' isolated';
      if (n.sentinel) cls += ` view-${n.sentinel.state || 'up'}`;
      if (leader === n.name) cls += ' leader';
      setAttr(e.g, 'class', cls);
      setText(e.name, n.name);
      setText(e.addr, n.ip);
      const rid = n.runId ? n.runId.slice(0, 6) : '';
      const roleText = state === 'down' ? t('down') : state === 'paused' ? t('paused')
        : role === 'master' ? t('roleMaster') : role === 'slave' ? t('roleSlave')
          : role === 'sentinel' ? t('roleSentinel') : t('starting');
      setText(e.line1, rid ? `${roleText} · ${rid}` : roleText);
      if (n.kind === 'sentinel') {
        const v = n.sentinel;
        if (v && n.up) {
          const st = { up: t('viewUp'), sdown: t('viewSdown'), odown: t('viewOdown'), failover: t('viewFailover') }[v.state] || v.state;
          const target = byAddr.get(`${v.masterIp}:${v.masterPort}`)?.name || v.masterIp || '?';
          setText(e.line2, `→ ${target}: ${st}`);
          setText(e.line3, `${t('epoch')} ${v.configEpoch ?? '–'}${v.failoverState ? ' · ' + v.failoverState.replace('wait_', '') : ''}`);
        } else {
          setText(e.line2, '');
          setText(e.line3, '');
        }
      } else {
        // Memory as INFO reports it: used / maxmemory (policy), evictions.
        let mem = '';
        if (n.usedMemory != null) {
          mem = ` · ${humanBytes(n.usedMemory)}`;
          if (n.maxmemory) mem += `/${humanBytes(n.maxmemory)} ${n.maxmemoryPolicy || ''}`;
        }
        setText(e.line2, n.offset != null ? `${t('offset')} ${n.offset}${mem}` : '');
        let l3 = '';
        if (n.role === 'slave') l3 = `${n.linkState || ''}${n.priority === 0 ? ` · ${t('priority')} 0` : ''}`;
        if (n.role === 'master') l3 = `${t('replicas')}: ${n.replicas.length}`;
        if (n.evictedKeys) l3 += ` · ${t('evicted')} ${n.evictedKeys}`;
        setText(e.line3, l3);
      }
      setText(e.crownText, `★ ${t('leader')}`);
      setText(e.title, `${n.name} ${n.addr} ${n.runId || ''}`);
    }
    for (const [name, e] of this.nodeEls) {
      if (!nodes.some((n) => n.name === name)) { e.g.remove(); this.nodeEls.delete(name); }
    }

    const drawnPairs = new Set();
    const draw = (key, cls, a, b, curve, label, attrs = {}) => {
      const pa = this.pos.get(a);
      const pb = this.pos.get(b);
      if (!pa || !pb) return;
      const pair = [a, b].sort().join('|');
      const cut = cuts.has(pair);
      drawnPairs.add(pair);
      if (cut && !/\bcut\b/.test(cls)) {
        cls += ' cut';
        label = label ? `✂ ${label}` : '✂';
      }
      const e = this.linkEl(key, cls);
      e.seen = stamp;
      setAttr(e.path, 'class', cls);
      for (const [k, v] of Object.entries(attrs)) setAttr(e.path, k, v);
      setAttr(e.g, 'class', `linkg${cut ? ' is-cut' : ''}`);
      setAttr(e.g, 'data-a', a);
      setAttr(e.g, 'data-b', b);
      const aria = t(cut ? 'linkHeal' : 'linkCut', { a, b });
      setAttr(e.g, 'aria-label', aria);
      setText(e.title, aria);
      const mx = (pa[0] + pb[0]) / 2;
      const my = (pa[1] + pb[1]) / 2 + curve;
      const d = curve ? `M${pa[0]},${pa[1]} Q${mx},${my} ${pb[0]},${pb[1]}` : `M${pa[0]},${pa[1]} L${pb[0]},${pb[1]}`;
      setAttr(e.path, 'd', d);
      setAttr(e.hit, 'd', d);
      const lx = curve ? (pa[0] + pb[0]) / 4 + mx / 2 : mx;
      const ly = curve ? (pa[1] + pb[1]) / 4 + my / 2 : my;
      setAttr(e.label, 'x', lx);
      setAttr(e.label, 'y', ly - 5);
      setText(e.label, label || '');
    };
    const sentinels = nodes.filter((n) => n.kind === 'sentinel');
    // Replication: replica -> its master, with the link state.
    for (const n of nodes) {
      if (n.role !== 'slave') continue;
      const m = byAddr.get(`${n.masterHost}:${n.masterPort}`);
      if (!m) continue;
      const up = n.linkState === 'connected';
      draw(`repl|${n.name}`, `link repl ${up ? 'up' : 'down'}`, m.name, n.name, 0, up ? '' : n.linkState,
        { 'data-from': m.name, 'data-to': n.name });
    }
    // Monitoring: sentinel -> the master it believes in.
    for (const s of sentinels) {
      const v = s.sentinel;
      if (!s.up || !v || !v.masterIp) continue;
      const m = byAddr.get(`${v.masterIp}:${v.masterPort}`);
      if (!m) continue;
      draw(`mon|${s.name}`, `link monitor view-${v.state}`, s.name, m.name, 0, '',
        { 'data-from': s.name, 'data-to': m.name });
    }
    // Sentinels watch the replicas too (PING, INFO, hello): faint links.
    for (const s of sentinels) {
      const v = s.sentinel;
      if (!s.up || !v || !v.masterIp) continue;
      for (const r of nodes) {
        if (r.role !== 'slave' || `${r.masterHost}:${r.masterPort}` !== `${v.masterIp}:${v.masterPort}`) continue;
        draw(`monr|${s.name}|${r.name}`, 'link monitor-replica', s.name, r.name, 0, '',
          { 'data-from': s.name, 'data-to': r.name });
      }
    }
    // Hello: every pair of sentinels.
    for (let i = 0; i < sentinels.length; i++) {
      for (let j = i + 1; j < sentinels.length; j++) {
        const a = sentinels[i];
        const b = sentinels[j];
        const live = a.up && b.up;
        draw(`hello|${a.name}|${b.name}`, `link hello${live ? '' : ' idle'}`, a.name, b.name, j - i > 1 ? -70 : 0, '',
          { 'data-from': a.name, 'data-to': b.name });
      }
    }
    // Cuts between nodes no link above joins: a link of their own.
    for (const pair of cuts) {
      if (drawnPairs.has(pair)) continue;
      const [a, b] = pair.split('|');
      draw(`cut|${pair}`, 'link cut', a, b, 22, '✂', { 'data-from': a, 'data-to': b });
    }
    for (const [k, e] of this.linkEls) {
      if (e.seen !== stamp) { e.g.remove(); this.linkEls.delete(k); }
    }
  }

  /** Start animating messages (`{from, to, kind, name}`); sampled when many. */
  send(msgs) {
    const now = performance.now();
    const replies = this.filter.has('replies');
    let wanted = msgs.filter((m) => this.filter.has(m.kind === 'rdb' ? 'psync' : m.kind === 'ack' ? 'stream' : m.kind)
      && (replies || !isReply(m))
      && this.pos.has(m.from) && this.pos.has(m.to) && m.from !== m.to);
    const room = Math.max(0, MAX_FLYING - this.flying.length);
    if (wanted.length > room) {
      const imp = wanted.filter((m) => IMPORTANT.has(m.kind));
      const rest = wanted.filter((m) => !IMPORTANT.has(m.kind));
      const keep = Math.max(0, room - imp.length);
      const step = rest.length / Math.max(1, keep);
      const sampled = [];
      for (let i = 0; i < keep && Math.floor(i * step) < rest.length; i++) sampled.push(rest[Math.floor(i * step)]);
      wanted = imp.slice(0, Math.max(room, 12)).concat(sampled);
    }
    wanted.forEach((m, i) => {
      const g = this.pool.pop() || this.makeDot();
      g.setAttribute('class', `msg k-${m.kind}`);
      g.lastChild.textContent = shortLabel(m);
      this.gMsgs.append(g);
      this.flying.push({ g, a: this.pos.get(m.from), b: this.pos.get(m.to), t0: now + (i % 8) * 25 });
    });
  }

  makeDot() {
    const g = el('g', { class: 'msg' });
    el('circle', { r: 5.5 }, g);
    el('text', { x: 8, y: -7 }, g);
    return g;
  }

  /** Move the messages in flight (call every animation frame). */
  tick(now) {
    let w = 0;
    for (const f of this.flying) {
      const p = (now - f.t0) / FLIGHT_MS;
      if (p >= 1) {
        f.g.remove();
        this.pool.push(f.g);
        continue;
      }
      const q = Math.max(0, p);
      const x = f.a[0] + (f.b[0] - f.a[0]) * q;
      const y = f.a[1] + (f.b[1] - f.a[1]) * q;
      f.g.setAttribute('transform', `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
      f.g.style.opacity = p < 0 ? '0' : '1';
      this.flying[w++] = f;
    }
    this.flying.length = w;
  }
}
