// The failover as phases: sdown → odown → election → promotion →
// reconfiguration → switch-master. Classifies sentinel events (the trace's
// 'sentinel' entries, "+sdown master mymaster 172.24.0.2 6379") and follows
// the current failover attempt for the stepper and the explanation.

export const PHASES = ['sdown', 'odown', 'election', 'promotion', 'reconf', 'switch'];

const EVENT_PHASE = {
  '+sdown': 'sdown',
  '+odown': 'odown',
  '+new-epoch': 'election',
  '+try-failover': 'election',
  '+vote-for-leader': 'election',
  '+elected-leader': 'election',
  '+failover-state-select-slave': 'election',
  '+selected-slave': 'promotion',
  '+failover-state-send-slaveof-noone': 'promotion',
  '+failover-state-wait-promotion': 'promotion',
  '+promoted-slave': 'promotion',
  '+failover-state-reconf-slaves': 'reconf',
  '+slave-reconf-sent': 'reconf',
  '+slave-reconf-inprog': 'reconf',
  '+slave-reconf-done': 'reconf',
  '+failover-end': 'reconf',
  '+failover-end-for-timeout': 'reconf',
  '+switch-master': 'switch',
};

/** `{ ev, phase }`: the event name and its phase (null: not a phase event). */
export function classify(text) {
  const ev = text.split(' ', 1)[0];
  let phase = EVENT_PHASE[ev] || null;
  // Only the master going down starts a failover; replicas and sentinels
  // are marked +sdown too.
  if ((ev === '+sdown' || ev === '+odown') && !text.startsWith(`${ev} master `)) phase = null;
  return { ev, phase };
}

/** The current (latest) failover attempt, fed with every sentinel event. */
export class Failover {
  constructor() {
    this.cycle = 0;
    this.reset();
  }

  reset() {
    this.cycle = (this.cycle || 0) + 1;
    this.reached = new Set();
    this.current = null;
    this.aborted = null;
    this.epoch = 0;
    this.votes = new Map();      // voter host -> [runid, epoch]
    this.leaderHost = null;
    this.selected = null;        // "ip:port"
    this.newMaster = null;       // "ip port"
    this.odownText = '';
    this.sdownBy = new Set();    // sentinels that see the master sdown
  }

  feed(host, text) {
    const { ev, phase } = classify(text);
    if (ev === '+sdown' && phase) {
      if (this.reached.has('switch') || this.aborted) this.reset();
      this.sdownBy.add(host);
    }
    if (ev === '-sdown' && text.startsWith('-sdown master ')) {
      this.sdownBy.delete(host);
      if (!this.reached.has('odown') && this.sdownBy.size === 0) this.reset();
    }
    if (ev === '+new-epoch' && (this.reached.has('switch') || this.aborted)) {
      // A manual failover (no sdown/odown) or a retry after an abort.
      const sd = this.sdownBy;
      this.reset();
      this.sdownBy = sd;
      if (sd.size) this.reached.add('sdown');
    }
    if (ev.startsWith('-failover-abort')) this.aborted = ev.slice(1);
    if (!phase) return null;
    if (ev === '+odown') {
      const m = text.match(/#quorum (\d+\/\d+)/);
      if (m) this.odownText = m[1];
    }
    if (ev === '+new-epoch') this.epoch = Math.max(this.epoch, Number(text.split(' ')[1]) || 0);
    if (ev === '+vote-for-leader') {
      const [, runid, epoch] = text.split(' ');
      this.votes.set(host, [runid, Number(epoch)]);
      this.epoch = Math.max(this.epoch, Number(epoch) || 0);
    }
    if (ev === '+elected-leader' || ev === '+try-failover') this.leaderHost = host;
    if (ev === '+selected-slave') this.selected = text.split(' ')[2];
    if (ev === '+switch-master') {
      const p = text.split(' ');
      this.newMaster = `${p[4]}:${p[5]}`;
    }
    this.reached.add(phase);
    // Sentinels learn the new configuration at different moments: a late
    // +slave-reconf-done after another sentinel's +switch-master does not
    // move the failover back.
    if (!this.current || PHASES.indexOf(phase) > PHASES.indexOf(this.current)) this.current = phase;
    return phase;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A log line as redis-sentinel prints it: `1:X 01 Jan 2026 00:00:05.123 # +sdown ...`. */
export function logLine(time, mark, text, role = 'X') {
  const d = new Date(time);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `1:${role} ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} `
    + `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} ${mark} ${text}`;
}
