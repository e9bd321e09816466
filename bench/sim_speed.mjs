// The simulator's speed in wasm under Node.js: one hour of virtual time of the
// tutorial topology with a failover. Needs `make pkg` first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mod = await import(join(root, 'pkg', 'sentinel_lab.js'));
mod.initSync({ module: readFileSync(join(root, 'pkg', 'sentinel_lab_bg.wasm')) });
// Wall time and this process's CPU time (steadier on a busy machine).
const times = [];
const cpu = [];
for (let seed = 1; seed <= 5; seed++) {
  const c = new mod.Cluster(seed);
  c.tutorial();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  c.runFor(30 * 60 * 1000);
  c.kill('redis_master');
  c.runFor(30 * 60 * 1000);
  times.push((performance.now() - t0) / 1000);
  const u = process.cpuUsage(c0);
  cpu.push((u.user + u.system) / 1e6);
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
console.log(`simulator, wasm under Node.js: 1 hour of virtual time: median ${times[2].toFixed(3)} s wall (min ${times[0].toFixed(3)}, max ${times[4].toFixed(3)}), ${cpu[2].toFixed(3)} s CPU (min ${cpu[0].toFixed(3)}, max ${cpu[4].toFixed(3)}), 5 runs`);
