// A redis-cli in the page, one per node: a line goes to the node through the
// real protocol (Cluster.commandLine / LiveCluster.commandLine, which may
// return a promise) and the reply is printed as redis-cli prints it.
// Up / Down walk the history.

const MAX_LINES = 400;

export function makeConsole(name, run, labels) {
  const box = document.createElement('div');
  box.className = 'console';
  const pre = document.createElement('pre');
  pre.setAttribute('aria-live', 'polite');
  const input = document.createElement('input');
  input.type = 'text';
  input.spellcheck = false;
  input.autocomplete = 'off';
  input.dataset.node = name;
  box.append(pre, input);
  const history = [];
  let pos = 0;
  let busy = false;

  const print = (text, cls) => {
    const s = document.createElement('span');
    if (cls) s.className = cls;
    s.textContent = text;
    pre.append(s);
    while (pre.childElementCount > MAX_LINES) pre.firstElementChild.remove();
    pre.scrollTop = pre.scrollHeight;
  };

  input.addEventListener('keydown', async (ev) => {
    if (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') {
      if (!history.length) return;
      ev.preventDefault();
      pos = Math.max(0, Math.min(history.length, pos + (ev.key === 'ArrowUp' ? -1 : 1)));
      input.value = history[pos] ?? '';
      return;
    }
    if (ev.key !== 'Enter' || busy) return;
    const line = input.value.trim();
    if (!line) return;
    input.value = '';
    if (history[history.length - 1] !== line) history.push(line);
    pos = history.length;
    print(`${labels.prompt(name)} ${line}\n`, 'prompt');
    busy = true;
    try {
      const reply = String(await run(name, line));
      print(reply + '\n', reply.startsWith('(error)') ? 'err' : null);
    } catch (e) {
      print(`(${labels.noReply()}) ${e && e.message ? e.message : e}\n`, 'err');
    } finally {
      busy = false;
    }
  });

  return {
    el: box,
    input,
    setLabels(placeholder, aria) {
      input.placeholder = placeholder;
      input.setAttribute('aria-label', aria);
    },
  };
}
