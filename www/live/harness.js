// The live-mode harness page: builds a LiveCluster of the tutorial topology,
// shows its nodes and trace as text, and exposes it as `window.live` (the
// page test drives it; `body[data-ready]` says it runs).
//   www/live/?speed=10&seed=1
import { LiveCluster, SCENARIO_START } from './live-cluster.js';

const q = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

const live = await LiveCluster.create({ seed: Number(q.get('seed') || 1) });
window.live = live;
const speed = Number(q.get('speed') || 1);
live.setSpeed(speed);
$('speed').value = String(speed);
if ($('speed').value !== String(speed)) $('speed').append(new Option(String(speed), String(speed), true, true));

$('speed').onchange = (e) => live.setSpeed(Number(e.target.value));
$('kill-master').onclick = () => live.kill('redis_master');
$('restart-master').onclick = () => live.restart('redis_master');
$('isolate-master').onclick = () => live.isolate('redis_master');
$('heal').onclick = () => live.heal();

for (const n of live.nodes()) $('console-node').append(new Option(n.name, n.name));
$('console-line').onkeydown = async (e) => {
  if (e.key !== 'Enter') return;
  const name = $('console-node').value;
  const line = e.target.value;
  e.target.value = '';
  let out;
  try {
    out = await live.commandLine(name, line);
  } catch (err) {
    out = `(error) ${err.message}`;
  }
  $('console-out').textContent += `${name}> ${line}\n${out}\n`;
};

let seen = 0;
const lines = [];
function render() {
  const t = live.now() - SCENARIO_START;
  $('clock').textContent = `t = ${(t / 1000).toFixed(1)} s (virtual), speed ${live.speed()}×`;
  $('nodes').innerHTML = live.nodes().map((n) => {
    const state = !n.up ? 'down' : n.paused ? 'paused' : 'up';
    const link = n.role === 'slave' ? `${n.masterHost}:${n.masterPort} ${n.linkState}` : '';
    const more = n.kind === 'sentinel'
      ? [n.sentinel].filter(Boolean).map((m) => `${m.master} ${m.masterIp}:${m.masterPort} ${m.flags} epoch ${m.configEpoch} (${m.numSlaves} replicas, ${m.numOtherSentinels} sentinels)`).join('; ')
      : n.replicas.map((r) => `${r.ip}:${r.port}@${r.offset}`).join(' ');
    return `<tr data-node="${esc(n.name)}" class="role-${esc(n.role)} ${state}"><td>${esc(n.name)}</td><td>${esc(n.addr)}</td><td>${state}</td>` +
      `<td class="role">${esc(n.role)}</td><td>${esc((n.runId || '').slice(0, 8))}</td><td>${esc(n.offset)}</td><td>${esc(link)}</td><td>${esc(more)}</td></tr>`;
  }).join('');
  const fresh = live.traceSince(seen);
  seen += fresh.length;
  for (const e of fresh) {
    if (e.kind === 'log') continue; // the sentinel events carry the story; logs are in the trace too
    const ts = ((e.time - SCENARIO_START) / 1000).toFixed(3).padStart(8);
    lines.push(`<span class="${e.kind}">${ts} ${esc(e.host.padEnd(16))} ${esc(e.text)}</span>`);
  }
  if (fresh.length) {
    $('trace').innerHTML = lines.slice(-300).join('\n');
    $('trace').scrollTop = $('trace').scrollHeight;
  }
  requestAnimationFrame(render);
}
render();
document.body.dataset.ready = 'true';
