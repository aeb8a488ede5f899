// One process of the team ledger bench (bench/team-ledger.mjs), started with fork and driven
// over IPC. A writer appends step notes to the bench's run, each durable and each awaited on
// its own: one at a time, or with several in flight (as a session does when many checks report
// at once), which the store writes together (its group commit); a reader (a cockpit or the watcher) subscribes to the ledger and reads
// every new event of the run with eventsAfter, which is what a cockpit does to show it.
// Times are wall-clock milliseconds with sub-millisecond precision (performance.timeOrigin +
// performance.now()), comparable between processes on one machine.
//
//   node bench/team-worker.mjs BUNDLE sqlite|pg LOCATION RUN_ID writer|reader NAME
const [bundle, backend, location, runId, role, name] = process.argv.slice(2);
// The bench gone (killed, or failed): nothing to report to.
process.on('disconnect', () => process.exit(1));
const S = await import(bundle);
const store = backend === 'pg' ? await S.openPgLedger(location, { poolSize: 1 }) : S.openSqliteStore(location);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (msg) => new Promise((r) => process.send(msg, r));

async function write({ phase, ms, rate, inflight = 1 }) {
  const seqs = [];
  const calls = [];
  const acks = [];
  const interval = rate ? 1000 / rate : 0;
  const start = now();
  const end = start + ms;
  let i = 0;
  // One lane of appends, each awaited before the next: `inflight` lanes keep that many in flight.
  async function lane() {
    // Paced: a fixed schedule from a random phase; a writer that falls behind skips, never bursts.
    let next = start + Math.random() * interval;
    for (;;) {
      if (interval) {
        const wait = next - now();
        if (wait > 0) await sleep(wait);
        next = Math.max(next + interval, now());
      }
      const t = now();
      if (t >= end) break;
      const ev = await store.append(runId, name, { kind: 'step.note', phase: 'execute', step: 'bench', note: `${name} ${phase} ${i++}` }, Date.now(), { durable: true });
      acks.push(now());
      calls.push(t);
      seqs.push(ev.seq);
    }
  }
  await Promise.all(Array.from({ length: inflight }, lane));
  await send({ type: 'written', phase, seqs, calls, acks, elapsed: now() - start });
}

function reader() {
  const seqs = [];
  const times = [];
  let last = 0;
  let reading = false;
  let again = false;
  const PAGE = 1000;
  const browser = store.browse();
  async function catchUp() {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const page = await browser.eventsAfter(runId, last, PAGE);
          const t = now();
          for (const ev of page) {
            seqs.push(ev.seq);
            times.push(t);
          }
          if (page.length) last = page[page.length - 1].seq;
          if (page.length < PAGE) break;
        }
      } while (again);
    } finally {
      reading = false;
    }
  }
  return {
    async start() {
      await catchUp();
      store.subscribe((change) => {
        if (!change.runId || change.runId === runId) void catchUp();
      });
    },
    last: () => last,
    report: () => ({ seqs, times }),
  };
}

const r = role === 'reader' ? reader() : undefined;
if (r) await r.start();
process.on('message', async (m) => {
  if (m.cmd === 'write') await write(m);
  else if (m.cmd === 'last') await send({ type: 'last', last: r.last() });
  else if (m.cmd === 'report') await send({ type: 'report', ...r.report() });
  else if (m.cmd === 'exit') {
    await store.close();
    process.exit(0);
  }
});
await send({ type: 'ready' });
