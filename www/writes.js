// Write load from a client: `RPUSH writes <n>` every N virtual ms to the
// master the client knows. Like a real client it stays on its master until
// that refuses (READONLY) or cannot be reached, then asks a sentinel for the
// current master (SENTINEL get-master-addr-by-name). Acknowledged writes are
// counted; LLEN writes on the current master shows which survived, so a
// partition shows the writes it loses.
//
// In the simulated mode every write happens at an exact virtual time (the
// runner stops there), so a run with writes replays exactly.

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
  }

  start(now, every) {
    this.on = true;
    this.every = Math.max(10, every | 0);
    this.next = now + this.every;
  }

  stop() { this.on = false; }

  /**
   * One write. `api`: { command(name, argv) -> reply (may throw),
   * sentinels() -> names of live sentinels, byAddr(ip, port) -> name }.
   */
  write(api) {
    if (!this.target) this.target = this.resolve(api);
    const n = ++this.seq;
    if (!this.target) { this.failed++; return; }
    try {
      const r = api.command(this.target, ['RPUSH', 'writes', String(n)]);
      if (typeof r === 'number') this.acked++;
      else { this.failed++; this.target = null; }
    } catch {
      this.failed++;
      this.target = null;
    }
  }

  resolve(api) {
    for (const s of api.sentinels()) {
      try {
        const r = api.command(s, ['SENTINEL', 'get-master-addr-by-name', 'mymaster']);
        if (Array.isArray(r) && r.length === 2) {
          const name = api.byAddr(r[0], Number(r[1]));
          if (name) return name;
        }
      } catch { /* next sentinel */ }
    }
    return null;
  }
}
