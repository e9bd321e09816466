// Write load from a client: `RPUSH writes <n>` every N virtual ms to the
// master the client knows. Like a real client it stays on its master until
// that refuses (READONLY) or cannot be reached, then asks a sentinel for the
// current master (SENTINEL get-master-addr-by-name). Acknowledged writes are
// counted; LLEN writes on the current master (`peek`) shows which survived,
// so a partition shows the writes it loses.
//
// The client's logic is written once, as a generator that yields the
// commands it sends and gets their replies: `write` runs it synchronously
// (the simulated Cluster: every write happens at an exact virtual time, the
// runner stops there, so a run with writes replays exactly), `writeAsync`
// with promises (LiveCluster, whose nodes answer from their workers).

export class WriteLoad {
  constructor() {
    this.on = false;
    this.every = 250;
    this.reset();
  }

  reset() {
    this.next = 0;
    this.seq = 0;
    this.acked = 0;
    this.failed = 0;
    this.target = null;
    this.busy = false;
    this.ackTimes = []; // virtual times of the latest acknowledgements
  }

  /**
   * Writes acknowledged by virtual time `t`: a live peek answers as of its
   * node's last status snapshot, and the writes acknowledged since are not
   * lost, only not counted yet.
   */
  ackedBy(t) {
    let later = 0;
    for (let i = this.ackTimes.length - 1; i >= 0 && this.ackTimes[i] > t; i--) later++;
    return this.acked - later;
  }

  start(now, every) {
    this.on = true;
    this.every = Math.max(10, every | 0);
    this.next = now + this.every;
  }

  stop() { this.on = false; }

  /**
   * One write, synchronously. `api`: { command(name, argv) -> reply as a
   * plain value (may throw), sentinels() -> names of live sentinels,
   * byAddr(ip, port) -> name, now() -> virtual ms }.
   */
  write(api) {
    const g = this.#steps(api);
    let r = g.next();
    while (!r.done) {
      let reply;
      try {
        reply = api.command(...r.value);
      } catch (e) {
        r = g.throw(e);
        continue;
      }
      r = g.next(reply);
    }
  }

  /** One write with an api whose `command` returns a promise; skipped while one runs. */
  async writeAsync(api) {
    if (this.busy) return;
    this.busy = true;
    try {
      const g = this.#steps(api);
      let r = g.next();
      while (!r.done) {
        let reply;
        try {
          reply = await api.command(...r.value);
        } catch (e) {
          r = g.throw(e);
          continue;
        }
        r = g.next(reply);
      }
    } finally {
      this.busy = false;
    }
  }

  /** The client: yields [node, argv], gets the reply (or the error thrown). */
  *#steps(api) {
    if (!this.target) this.target = yield* this.#resolve(api);
    const n = ++this.seq;
    if (!this.target) { this.failed++; return; }
    try {
      const r = yield [this.target, ['RPUSH', 'writes', String(n)]];
      if (typeof r === 'number') {
        this.acked++;
        this.ackTimes.push(api.now());
        if (this.ackTimes.length > 512) this.ackTimes.splice(0, 256);
      } else { this.failed++; this.target = null; }
    } catch {
      this.failed++;
      this.target = null;
    }
  }

  *#resolve(api) {
    for (const s of api.sentinels()) {
      try {
        const r = yield [s, ['SENTINEL', 'get-master-addr-by-name', 'mymaster']];
        if (Array.isArray(r) && r.length === 2) {
          const name = api.byAddr(r[0], Number(r[1]));
          if (name) return name;
        }
      } catch { /* next sentinel */ }
    }
    return null;
  }
}
