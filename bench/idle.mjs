// Idle cost: the cockpit left open, nobody at the keys, its checks polling a separate
// `opscockpit fixtures serve`. CPU ticks of the cockpit's own process (utime + stime) over a
// window that starts SETTLE_S after its first full frame on a 120x40 pty, and its resident memory;
// beside an idle `node -e 'setInterval(()=>{},1000)'` measured the same way in the same run.
// Two runbooks: the demo's (four checks, every 1–10 s) and a generated one with 20 http checks
// every 1 s. Goal: the 20-check cockpit under 1 % of a core. A second baseline makes the same
// 20 requests a second through undici from a bare node process: the floor of polling itself,
// which the cockpit cannot go under (on loopback the kernel's work for the fixture server's
// side of each request is charged to the process that writes it).
//
//   node bench/idle.mjs
//   BENCH_IDLE_SECONDS=10 BENCH_IDLE_SETTLE=5 node bench/idle.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, benchEnv, lpad, pad, positiveInt, recordFigure, runAlone, runJson, startFixtureServer, writeNoopScript, writeRunbook } from './lib.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const BIN = join(ROOT, 'bin', 'opscockpit');
const PATHS = ['/readyz', '/health', '/api/execution_gate', '/api/emergency_stop']; // as writeRunbook's

/**
 * 20 checks' requests through one undici agent, all sent on one timer tick a second, each with
 * a 2 s deadline cleared when it ends, made as the cockpit makes them (adapters/http-exchange.ts):
 * a handler on the agent's dispatcher, no body stream. The cheapest way found to make them: on
 * a virtual machine the process's wake-ups cost more than the requests (a timer per check, or a
 * deadline timer left to run out after its answer, made the floor four times higher), and
 * undici's `request()` costs about half as much again as the dispatcher for each request.
 */
function barePoller(url) {
  return `import { Agent } from 'undici';
const agent = new Agent({ keepAliveTimeout: 4000, connections: 8, headersTimeout: 0, bodyTimeout: 0 });
const paths = ${JSON.stringify(PATHS)};
const origin = ${JSON.stringify(url)};
const get = (path) => new Promise((resolve) => {
  const chunks = [];
  let ctl;
  let late;
  const end = () => (clearTimeout(timer), resolve());
  const timer = setTimeout(() => (late = new Error('timed out'), ctl?.abort(late), resolve()), 2000);
  agent.dispatch({ origin, path, method: 'GET', headers: {} }, {
    onRequestStart(c) { ctl = c; if (late) c.abort(late); },
    onResponseStart() {},
    onResponseData(_c, chunk) { chunks.push(chunk); },
    onResponseEnd() { Buffer.concat(chunks); end(); },
    onResponseError() { end(); },
  });
});
setInterval(() => {
  for (let i = 0; i < ${CHECKS}; i++) void get(paths[i % paths.length]);
}, 1000);`;
}
const GOAL_PCT = 1; // % of one core, 20 checks every 1 s
const CHECKS = 20;
// The window opens this long after the first full frame (the baselines: after their start):
// the first polls load undici and compile their code, and V8 goes on optimising and shrinking
// the start-up's heap for about half a minute, which is start-up, not what an open cockpit
// costs by the hour (with nothing polled, the cockpit measured from 5 s used about eight
// times what it uses from 30 s on).
const SETTLE_S = positiveInt('BENCH_IDLE_SETTLE', 30);

export async function benchIdle() {
  const seconds = positiveInt('BENCH_IDLE_SECONDS', 60);
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-idle-'));
  // The demo runbook's ETag check sends this token; the fixture server expects it.
  const env = benchEnv({ DEMO_TOKEN: 'bench-idle-token' });
  let server;
  try {
    server = await startFixtureServer(BIN, env);
    const runbook = join(dir, 'bench-idle-20.yaml');
    writeNoopScript(join(dir, 'abort-noop.sh'));
    writeRunbook(runbook, { name: 'Bench idle', url: server.url, checks: CHECKS, abortScript: 'abort-noop.sh' });
    const demo = join(ROOT, 'fixtures', 'runbooks', 'demo.yaml');
    const cockpitEnv = { ...env, OPSCOCKPIT_DEMO_URL: server.url };
    const measure = async (what, until, argv, settle) => {
      const r = await runJson(
        'python3',
        [join(BENCH, 'pty_idle.py'), '--until', until, '--seconds', String(seconds), '--settle', String(settle), '--cols', '120', '--rows', '40', '--', process.execPath, ...argv],
        { timeoutMs: (seconds + settle + 60) * 1000, env: cockpitEnv, cwd: ROOT },
      );
      if (!r.ok) throw new BenchError(`idle ${what}: ${r.error}`);
      if (r.warning) console.error(`  note: idle ${what}: ${r.warning}`);
      return { pct: (100 * r.cpu_s) / r.seconds, schedPct: (100 * r.sched_s) / r.seconds, mb: (r.rss_kb * 1024) / 1e6, peakMb: (r.hwm_kb * 1024) / 1e6, bytesPerS: r.bytes / r.seconds, writesPerS: r.writes / r.seconds };
    };
    const base = await measure('baseline', 'start', ['-e', 'setInterval(()=>{},1000)'], SETTLE_S);
    const floor = await measure('bare poller', 'start', ['--input-type=module', '-e', barePoller(server.url)], SETTLE_S);
    const small = await measure('demo runbook', 'frame', [BIN, 'open', demo, '--ledger', join(dir, 'demo.db')], SETTLE_S);
    const big = await measure(`${CHECKS} checks`, 'frame', [BIN, 'open', runbook, '--ledger', join(dir, 'idle.db')], SETTLE_S);
    // The baseline may not use one 10 ms tick in the window: the ratio is of the scheduler's ns.
    const ratio = (m) => (base.schedPct > 0 ? `${(m.schedPct / base.schedPct).toFixed(0)}x` : '—');
    const row = (label, m) =>
      `  ${pad(label, 52)}${lpad(`${m.pct.toFixed(2)} %`, 9)}${lpad(`${m.schedPct.toFixed(3)} %`, 10)}${lpad(`${m.mb.toFixed(0)} MB`, 8)}${lpad(`${m.writesPerS.toFixed(1)}/s`, 9)}${lpad(`${(m.bytesPerS / 1000).toFixed(1)} kB/s`, 12)}`;
    const pct = (x) => Number(x.toFixed(2));
    recordFigure({ figure: `Idle cockpit, ${CHECKS} HTTP checks every 1 s, CPU`, value: pct(big.schedPct), unit: '% of a core', baseline: { value: pct(floor.schedPct), what: `bare undici poller, same ${CHECKS} GETs` }, goal: '< 1 % of a core', met: big.schedPct < 1 });
    recordFigure({ figure: 'Idle cockpit, demo runbook (4 checks), CPU', value: pct(small.schedPct), unit: '% of a core', baseline: { value: Number(base.schedPct.toFixed(3)), what: "node -e 'setInterval(()=>{},1000)'" }, goal: null, met: null });
    recordFigure({ figure: `Idle cockpit, ${CHECKS} HTTP checks, memory`, value: Math.round(big.mb), unit: 'MB', baseline: { value: Math.round(base.mb), what: "node -e 'setInterval(()=>{},1000)'" }, goal: null, met: null });
    return {
      lines: [
        `  ${seconds} s each; CPU = utime+stime ticks of the process / wall time (sched: ns on a CPU of its threads);`,
        `  RSS at the end; terminal writes and bytes written in the window`,
        `  ${pad('', 52)}${lpad('CPU', 9)}${lpad('sched', 10)}${lpad('RSS', 8)}${lpad('writes', 9)}${lpad('output', 12)}`,
        row("baseline  node -e 'setInterval(()=>{},1000)'", base),
        row(`baseline  bare undici poller, ${CHECKS} GETs every 1 s`, floor),
        row('opscockpit open demo runbook (4 checks, 1–10 s)', small),
        row(`opscockpit open ${CHECKS} http checks every 1 s`, big),
        `  ratio to the idle node (sched CPU): demo ${ratio(small)}, ${CHECKS} checks ${ratio(big)}; memory ${(big.mb / base.mb).toFixed(1)}x`,
        `  ${CHECKS} checks beside the bare poller making the same requests: ${(big.schedPct / floor.schedPct).toFixed(2)}x CPU`,
        `  ${CHECKS} checks, goal < ${GOAL_PCT} % of a core: ${big.pct.toFixed(2)} %: ${big.pct < GOAL_PCT ? 'met' : 'NOT met'}`,
      ],
      baseline: base,
      poller: floor,
      demo: small,
      checks20: big,
    };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, 'idle', benchIdle);
