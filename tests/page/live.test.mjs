// End-to-end test of live mode: serve the crate root, open the live harness
// (www/live/) in headless Chromium: six Web Workers, one wasm instance each,
// joined by MessageChannel ports. At 10× speed: wait for the topology to form,
// kill redis_master, wait for a replica to become master and for
// +switch-master, write through the console, restart the old master (it comes
// back from its disk and is turned into a replica), partition and heal.
// Screenshots go to target/page/live-*.png. Fails on any console error.
//
//   make test-page        (builds pkg/ first)

import { check as checkOne, finish, results, start, T } from './harness.mjs';

// Each check here builds on the one before: stop at the first failure.
const check = (name, fn) => checkOne(name, fn, { stopOnFailure: true });
const errors = results.errors;

const { page, port, shot, stop } = await start();
try {
  const nodes = () => page.evaluate(() => window.live.nodes());
  const seen = (needle, from = 0) => page.waitForFunction(
    ([n, i]) => window.live.traceSince(i).some((e) => e.text.includes(n)), [needle, from], { timeout: T });
  let newMaster;

  await check('harness starts six workers; the sentinels discover the topology', async () => {
    await page.goto(`http://127.0.0.1:${port}/www/live/?speed=10&seed=1`);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: T });
    const ns = await nodes();
    if (ns.length !== 6 || ns.some((n) => !n.up)) throw new Error(JSON.stringify(ns));
    await page.waitForFunction(() => {
      const ns = window.live.nodes();
      const byName = Object.fromEntries(ns.map((n) => [n.name, n]));
      return byName.redis_master.role === 'master' && byName.redis_master.replicas.length === 2 &&
        ['redis_slave1', 'redis_slave2'].every((r) => byName[r].linkState === 'connected') &&
        ns.filter((n) => n.kind === 'sentinel').every((s) =>
          s.role === 'sentinel' && s.sentinel?.numSlaves === 2 && s.sentinel?.numOtherSentinels === 2);
    }, null, { timeout: T, polling: 100 });
    await page.waitForSelector('#nodes tr.role-master[data-node="redis_master"]', { timeout: T });
    await shot('live-1-ready.png');
  });

  await check('SET on the master reaches a replica through the console', async () => {
    const ok = await page.evaluate(() => window.live.commandLine('redis_master', 'SET greeting "hello live"'));
    if (ok !== 'OK') throw new Error(`SET: ${JSON.stringify(ok)}`);
    await page.waitForFunction(async () => (await window.live.commandLine('redis_slave1', 'GET greeting')) === '"hello live"',
      null, { timeout: T, polling: 200 });
  });

  await check('messagesSince: the workers decode what their nodes receive; peek asks without traffic', async () => {
    const ms = await page.evaluate(() => window.live.messagesSince(0));
    const has = (from, to, kind, name) => ms.some((m) => m.from === from && m.to === to && m.kind === kind && m.name.startsWith(name));
    if (!has('redis-sentinel1', 'redis_master', 'ping', 'PING')) throw new Error('no PING from a sentinel to the master');
    if (!has('redis_master', 'redis-sentinel1', 'ping', '+PONG')) throw new Error('no +PONG back');
    if (!has('redis-sentinel2', 'redis_slave1', 'info', 'INFO')) throw new Error('no INFO to a replica');
    if (!ms.some((m) => m.kind === 'hello')) throw new Error('no hello');
    if (!ms.some((m) => m.from === 'redis_slave1' && m.to === 'redis_master' && m.kind === 'psync')) throw new Error('no handshake');
    if (!ms.some((m) => m.from === 'redis_master' && m.to === 'redis_slave2' && m.kind === 'rdb')) throw new Error('no RDB');
    if (!ms.every((m, i) => i === 0 || m.index === ms[i - 1].index + 1)) throw new Error('indices not consecutive');
    const len = await page.evaluate(() => window.live.messagesLength());
    if (len !== ms[ms.length - 1].index + 1 && len < ms.length) throw new Error(`messagesLength ${len}`);
    // The console's SET shows as a client message, as in the simulator.
    if (!ms.some((m) => m.from === 'client' && m.to === 'redis_master' && m.kind === 'client' && m.name === 'SET')) throw new Error('no client SET');
    // peek: null at first, then the node's answer with its next status snapshot.
    await page.waitForFunction(() => window.live.peek('redis_slave2', 'GET greeting') === '"hello live"', null, { timeout: T, polling: 50 });
    const v = await page.evaluate(() => window.live.command('redis_master', ['LPUSH', 'l', 'a b']));
    if (v !== 1) throw new Error(`command: ${JSON.stringify(v)}`);
    const e = await page.evaluate(() => window.live.command('redis_master', ['GET', 'l']));
    if (!e || !String(e.error).startsWith('WRONGTYPE')) throw new Error(`error reply: ${JSON.stringify(e)}`);
  });

  await check('kill redis_master: a replica becomes master, +switch-master', async () => {
    const t0 = await page.evaluate(() => window.live.now());
    const m0 = await page.evaluate(() => window.live.messagesLength());
    await page.click('#kill-master');
    await page.waitForSelector('#nodes tr.down[data-node="redis_master"]', { timeout: T });
    await seen('+sdown master mymaster 172.24.0.2 6379');
    await seen('+switch-master mymaster 172.24.0.2 6379');
    const h = await page.waitForFunction(() => {
      const ns = window.live.nodes();
      const m = ns.find((n) => n.kind === 'server' && n.up && n.role === 'master');
      if (!m) return null;
      const other = ns.find((n) => n.kind === 'server' && n.up && n !== m);
      return other.role === 'slave' && other.masterHost === m.ip && other.linkState === 'connected' ? m.name : null;
    }, null, { timeout: T, polling: 100 });
    newMaster = await h.jsonValue();
    const t1 = await page.evaluate(() => window.live.now());
    for (const step of ['+odown master mymaster', '+elected-leader', '+promoted-slave', '+failover-end']) await seen(step);
    const ms = await page.evaluate((i) => window.live.messagesSince(i), m0);
    if (!ms.some((m) => m.kind === 'vote' && m.name.includes('(vote?)') && m.from.startsWith('redis-sentinel'))) throw new Error('no vote request');
    if (!ms.some((m) => m.kind === 'replicaof' && m.to === newMaster && m.name.startsWith('SLAVEOF'))) throw new Error('no SLAVEOF to the new master');
    await page.waitForSelector(`#nodes tr.role-master[data-node="${newMaster}"]`, { timeout: T });
    console.log(`# ${newMaster} is master ${t1 - t0} virtual ms after the kill`);
    await shot('live-2-failover.png');
  });

  await check('the new master takes writes; the data survived the failover', async () => {
    const v = await page.evaluate((m) => window.live.commandLine(m, 'GET greeting'), newMaster);
    if (v !== '"hello live"') throw new Error(`GET: ${JSON.stringify(v)}`);
    const ok = await page.evaluate((m) => window.live.commandLine(m, 'INCR counter'), newMaster);
    if (ok !== '(integer) 1') throw new Error(`INCR: ${JSON.stringify(ok)}`);
    const down = await page.evaluate(() => window.live.commandLine('redis_master', 'PING').then(() => 'replied', (e) => e.message));
    if (!down.includes('no reply from redis_master')) throw new Error(`PING on a dead node: ${down}`);
  });

  await check('restart redis_master: back from its disk as a replica of the new master', async () => {
    await page.click('#restart-master');
    await seen('+convert-to-slave slave 172.24.0.2:6379');
    await page.waitForFunction((m) => {
      const ns = window.live.nodes();
      const old = ns.find((n) => n.name === 'redis_master');
      const nm = ns.find((n) => n.name === m);
      return old.up && old.role === 'slave' && old.masterHost === nm.ip && old.linkState === 'connected';
    }, newMaster, { timeout: T, polling: 100 });
    await page.waitForFunction(async () => (await window.live.commandLine('redis_master', 'GET counter')) === '"1"',
      null, { timeout: T, polling: 200 });
    await shot('live-3-restarted.png');
  });

  await check('pause a replica: it answers once it resumes', async () => {
    const r = await page.evaluate(async () => {
      const live = window.live;
      live.pause('redis_slave1', 3000);
      const t0 = live.now();
      const paused = live.nodes().find((n) => n.name === 'redis_slave1');
      const reply = await live.commandLine('redis_slave1', 'PING');
      return { paused: paused.paused, role: paused.role, reply, waited: live.now() - t0 };
    });
    if (!r.paused || r.role !== null || r.reply !== 'PONG' || r.waited < 2900) throw new Error(JSON.stringify(r));
  });

  await check('delayLink: the replication stream arrives late on a slow link', async () => {
    const ns = await nodes();
    const replica = ns.find((n) => n.kind === 'server' && n.role === 'slave' && n.masterHost === ns.find((m) => m.name === newMaster).ip);
    const r = await page.evaluate(async ([m, rep]) => {
      const live = window.live;
      live.delayLink(m, rep, 2000);
      const t0 = live.now();
      await live.commandLine(m, 'SET slow yes');
      const early = await live.commandLine(rep, 'GET slow');
      let late;
      while ((late = await live.commandLine(rep, 'GET slow')) !== '"yes"') await new Promise((ok) => setTimeout(ok, 20));
      const waited = live.now() - t0;
      live.delayLink(m, rep, 0);
      return { early, late, waited };
    }, [newMaster, replica.name]);
    if (r.early !== '(nil)' || r.waited < 1900) throw new Error(JSON.stringify(r));
  });

  await check('isolate the new master: the sentinels see it down; heal: one master, two replicas', async () => {
    const from = await page.evaluate(() => window.live.traceLength());
    const ip = (await nodes()).find((n) => n.name === newMaster).ip;
    await page.evaluate((m) => window.live.isolate(m), newMaster);
    await seen(`+sdown master mymaster ${ip} 6379`, from);
    const cut = await page.evaluate((m) => window.live.commandLine(m, 'PING').then(() => 'replied', (e) => e.message), newMaster);
    if (!cut.includes('no reply')) throw new Error(`PING on an isolated node: ${cut}`);
    await page.evaluate(() => window.live.heal());
    await page.waitForFunction(() => {
      const ns = window.live.nodes().filter((n) => n.kind === 'server');
      const masters = ns.filter((n) => n.role === 'master');
      return masters.length === 1 && ns.filter((n) => n.role === 'slave' && n.linkState === 'connected' && n.masterHost === masters[0].ip).length === 2;
    }, null, { timeout: T, polling: 100 });
    await shot('live-4-healed.png');
  });

  if (process.env.LIVE_DUMP) {
    console.log(await page.evaluate(() => window.live.traceSince(0).filter((e) => e.kind !== 'log')
      .map((e) => `${e.time - 1767225600000} ${e.host} ${e.kind} ${e.text}`).join('\n')));
  }

  await check('no console errors', async () => {
    if (errors.length) throw new Error(errors.join('\n'));
  });
} catch {
  if (errors.length) console.log(`# page errors:\n${errors.join('\n')}`);
  {
    const tail = await page.evaluate(() => window.live && window.live.traceSince(0)
      .filter((e) => e.kind !== 'log').slice(-60).map((e) => `${e.time} ${e.host} ${e.kind} ${e.text}`).join('\n')).catch(() => '');
    if (tail) console.log(`# trace tail:\n${tail}`);
    await shot('live-failed.png').catch(() => {});
  }
} finally {
  await page.evaluate(() => window.live && window.live.free()).catch(() => {});
  await stop();
}
finish();
