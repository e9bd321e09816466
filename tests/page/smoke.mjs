// Smoke check of pkg/ (the --target web build) under Node.js: instantiate,
// run the tutorial, write through the console. `node tests/page/smoke.mjs [pkgdir]`
import { readFile } from 'node:fs/promises';
const dir = new URL(`../../${process.argv[2] || 'pkg'}/`, import.meta.url);
const m = await import(new URL('sentinel_lab.js', dir));
await m.default({ module_or_path: await readFile(new URL('sentinel_lab_bg.wasm', dir)) });
const c = new m.Cluster(1);
c.tutorial();
c.runFor(3000);
const nodes = c.nodes();
if (nodes[1].linkState !== 'connected') throw new Error(`replica link: ${JSON.stringify(nodes[1])}`);
console.log(c.commandLine('redis_master', 'PUBLISH ch hi'), c.traceHash());
console.log('1 passed, 0 failed');
