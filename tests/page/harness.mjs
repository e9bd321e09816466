// What the page tests share: Debian's Chromium started offline, a static
// server on the crate root, TAP-like checks, and a page that records every
// console error, page error, failed or remote request.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { serve } from './serve.mjs';

export const OUT = new URL('../../target/page/', import.meta.url);
export const T = 90_000; // ms any single wait may take on a loaded machine
const EXE = process.env.CHROMIUM || '/usr/bin/chromium';
// Root needs --no-sandbox; the rest keep Chromium from calling out.
const ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const results = { passed: 0, failed: 0, errors: [] };

// Run one named check; `stopOnFailure` rethrows so later checks that depend
// on this one are skipped.
export async function check(name, fn, { stopOnFailure = false } = {}) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.failed++;
    console.log(`not ok - ${name}\n  ${String((e && e.stack) || e).split('\n').join('\n  ')}`);
    if (stopOnFailure) throw e;
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Chromium, the server, and one page whose errors land in results.errors.
export async function start() {
  await mkdir(OUT, { recursive: true });
  const server = await serve(0);
  const port = server.address().port;
  const browser = await chromium.launch({ executablePath: EXE, args: ARGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const errors = results.errors;
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:' && u.protocol !== 'blob:') errors.push(`offline page fetched ${r.url()}`);
  });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
  const shot = (name, fullPage = true) => page.screenshot({ path: new URL(name, OUT).pathname, fullPage });
  const stop = async () => { await browser.close(); server.close(); };
  return { page, port, shot, stop };
}

// The summary line and the exit code.
export function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed || results.errors.length ? 1 : 0);
}
