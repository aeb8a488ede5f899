// Team ledger benchmark: one ledger shared by many processes, on PostgreSQL and, in the same
// run, on SQLite beside it.
//   1. Append → read in another process: 8 writer processes append to one run while 3
//      "cockpit" processes and 1 watcher are subscribed to the ledger (LedgerStore.subscribe)
//      and read every new event (eventsAfter), which is what a cockpit does to show it. This
//      is measured at the store level: the session's own path onto the store is not part of
//      it. Latency from the writer's commit (its append acknowledged) to the event read in a
//      reader, p50 and p99, with the writers paced (BENCH_TEAM_RATE appends/s each) so the
//      figure is the ledger's, not a saturated machine's. Goal p99 < 250 ms on PostgreSQL.
//      SQLite's subscribe polls every 250 ms: its figure shows that poll.
//   2. Concurrent appends per second: the same 8 writers as fast as each can, every append
//      durable and awaited on its own (acknowledged after its commit), the 4 readers still
//      reading; each writer with BENCH_TEAM_INFLIGHT (32) appends in flight, as a session has
//      when many checks report at once, which its store writes together (group commit).
//      Goal ≥ 5,000/s on PostgreSQL. Beside it, without a goal, the same writers with one
//      append in flight each: a transaction per append, bound by one WAL flush each.
//   3. `opscockpit ledger verify` of 1,000,000 events on PostgreSQL, beside the SQLite verify of
//      the same ledger: built in SQLite with appendMany (bench/ledger.mjs), moved with
//      `opscockpit ledger migrate` (one chain implementation; nothing re-hashed here). Goal < 5 s.
// The bench starts its own PostgreSQL (test/support/postgres.ts: initdb in a temporary folder, a
// free port, an unprivileged user under root) with fsync on, as a team's server runs, and stops
// it at the end.
//
//   npm run build && node bench/team-ledger.mjs
//   BENCH_TEAM_SECONDS=5 BENCH_TEAM_RATE=25 BENCH_TEAM_VERIFY_EVENTS=200000 node bench/team-ledger.mjs
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { buildLedger, timeCliVerify } from './ledger.mjs';
import { BenchError, benchEnv, bundleModules, lpad, median, pad, percentile, positiveInt, recordFigure, runAlone, runChild } from './lib.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const BIN = join(ROOT, 'bin', 'opscockpit');
const WORKER = join(BENCH, 'team-worker.mjs');
const READERS = ['cockpit-1', 'cockpit-2', 'cockpit-3', 'watcher'];
const LATENCY_GOAL_MS = 250; // p99
const APPEND_GOAL = 5000; // events/s
const VERIFY_GOAL_S = 5;

const load = () => loadavg()[0].toFixed(2);

/** A forked team-worker.mjs: its messages by type, in order; its death fails every wait. */
function startWorker(args, name) {
  const child = fork(WORKER, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env: benchEnv() });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const inbox = [];
  const waiting = [];
  let dead;
  child.on('message', (m) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i === -1) return void inbox.push(m);
    const [w] = waiting.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve(m);
  });
  child.on('exit', (code, signal) => {
    dead = new BenchError(`${name} exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`);
    for (const w of waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(dead);
    }
  });
  const next = (type, timeoutMs) => {
    const i = inbox.findIndex((m) => m.type === type);
    if (i !== -1) return Promise.resolve(inbox.splice(i, 1)[0]);
    if (dead) return Promise.reject(dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchError(`${name}: no "${type}" within ${timeoutMs / 1000} s`)), timeoutMs);
      waiting.push({ type, resolve, reject, timer });
    });
  };
  return {
    name,
    next,
    ask(msg, type, timeoutMs = 30_000) {
      child.send(msg);
      return next(type, timeoutMs);
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const gone = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'exit' });
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      return gone.then(() => clearTimeout(kill));
    },
  };
}

/** Until every reader has read up to `seq`; throws after `timeoutMs`. */
async function caughtUp(readers, seq, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lasts = await Promise.all(readers.map((r) => r.ask({ cmd: 'last' }, 'last').then((m) => m.last)));
    if (lasts.every((l) => l >= seq)) return;
    if (Date.now() > deadline) throw new BenchError(`readers did not read up to event #${seq} within ${timeoutMs / 1000} s (they are at ${lasts.join(', ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One backend under the team load. `locate(login)` is where a process of that login opens the
 * ledger; `open(location)` opens it here. Returns per phase: the latencies (commit → read, and
 * append call → read) and the writers' counts and times.
 */
async function runTeam(S, backend, locate, { seconds, rate, writers: WRITERS, inflight }) {
  const open = (where) => (backend === 'pg' ? S.openPgLedger(where) : S.openSqliteStore(where));
  const logins = S.OPERATORS;
  const main = await open(locate(logins[0]));
  const workers = [];
  try {
    const run = await main.startRun({ runbook: '/bench/team.yaml', name: `team bench (${backend})` }, Date.now());
    const bundle = S.bundleFile;
    const spawn = (role, name, i) => {
      const w = startWorker([bundle, backend, locate(logins[i % logins.length]), run.runId, role, name], `${backend} ${name}`);
      workers.push(w);
      return w;
    };
    const readers = READERS.map((name, i) => spawn('reader', name, i));
    const writers = Array.from({ length: WRITERS }, (_, i) => spawn('writer', `writer-${i + 1}`, i));
    await Promise.all(workers.map((w) => w.next('ready', 60_000)));
    // Warm-up: every reader has read an event appended after it subscribed (LISTEN is up).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ev = await main.append(run.runId, 'bench', { kind: 'step.note', phase: 'execute', step: 'warm-up', note: 'warm-up' }, Date.now(), { durable: true });
      try {
        await caughtUp(readers, ev.seq, 600);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    const phases = {};
    for (const phase of [{ phase: 'paced', rate }, { phase: 'flat', rate: 0 }, { phase: 'burst', rate: 0, inflight }]) {
      const loadBefore = load();
      const written = await Promise.all(writers.map((w) => w.ask({ cmd: 'write', ms: seconds * 1000, ...phase }, 'written', seconds * 1000 + 120_000)));
      const loadAfter = load();
      const last = written.reduce((m, w) => w.seqs.reduce((a, b) => Math.max(a, b), m), 0);
      await caughtUp(readers, last, 60_000);
      phases[phase.phase] = { written, load: `${loadBefore} → ${loadAfter}` };
    }
    const reports = await Promise.all(readers.map((r) => r.ask({ cmd: 'report' }, 'report', 60_000)));
    for (const p of Object.values(phases)) Object.assign(p, latencies(p.written, reports));
    return phases;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await main.close();
  }
}

function latencies(written, reports) {
  const bySeq = new Map();
  for (const w of written) w.seqs.forEach((seq, k) => bySeq.set(seq, [w.acks[k], w.calls[k]]));
  const commit = [];
  const call = [];
  for (const r of reports) {
    let read = 0;
    r.seqs.forEach((seq, k) => {
      const t = bySeq.get(seq);
      if (!t) return;
      read++;
      commit.push(r.times[k] - t[0]);
      call.push(r.times[k] - t[1]);
    });
    if (read !== bySeq.size) throw new BenchError(`a reader read ${read} of the ${bySeq.size} events appended (each must be read once)`);
  }
  const count = written.reduce((n, w) => n + w.seqs.length, 0);
  const wall = Math.max(...written.map((w) => w.elapsed)) / 1000;
  return { commit, call, count, perSecond: count / wall, appendMs: written.flatMap((w) => w.acks.map((a, k) => a - w.calls[k])) };
}

async function cli(args, what, timeoutMs = 60_000) {
  const r = await runChild(process.execPath, [BIN, ...args], { timeoutMs });
  if (r.code !== 0) throw new BenchError(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** A new database `name` holding a ledger set up by admin with `ledger init`; operators in its role. */
async function pgLedger(S, server, name) {
  const admin = new pg.Client({ connectionString: S.pgUrl(server, 'admin') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  await cli(['ledger', 'init', '--ledger', S.pgUrl(server, 'admin', name)], 'opscockpit ledger init');
  const owner = new pg.Client({ connectionString: S.pgUrl(server, 'admin', name) });
  await owner.connect();
  try {
    await owner.query(`GRANT opscockpit_operator TO ${S.OPERATORS.join(', ')}`);
  } finally {
    await owner.end();
  }
  return (login) => S.pgUrl(server, login, name);
}

const fms = (x) => `${x.toFixed(1)} ms`;
const rate = (r) => `${Math.round(r).toLocaleString('en')}/s`;

export async function benchTeam() {
  const seconds = positiveInt('BENCH_TEAM_SECONDS', 10);
  const paced = positiveInt('BENCH_TEAM_RATE', 25);
  const events = positiveInt('BENCH_TEAM_VERIFY_EVENTS', 1_000_000);
  const WRITERS = positiveInt('BENCH_TEAM_WRITERS', 8);
  const INFLIGHT = positiveInt('BENCH_TEAM_INFLIGHT', 32);
  if (!existsSync(join(ROOT, 'dist', 'opscockpit.js'))) throw new BenchError('dist/opscockpit.js is missing: run `npm run build`');
  const bundleFile = await bundleModules(
    'team',
    [
      "export { openPgLedger } from './adapters/pg-ledger.ts';",
      "export { openSqliteStore } from './adapters/sqlite-store.ts';",
      "export { openLedger } from './adapters/ledger.ts';",
      "export { startPostgres, pgUrl, OPERATORS } from './test/support/postgres.ts';",
    ].join('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-team-'));
  let server;
  try {
    const S = { ...(await import(pathToFileURL(bundleFile).href)), bundleFile: pathToFileURL(bundleFile).href };
    const lines = [`team ledger: ${WRITERS} writer processes, 3 cockpits and 1 watcher subscribed, one run; every append durable; load ${load()} at the start`];
    try {
      server = await S.startPostgres({ durable: true });
    } catch (err) {
      throw new BenchError(`cannot start PostgreSQL: ${err.message}`);
    }
    const pgTeam = await pgLedger(S, server.server, 'team_bench');
    const sqliteFile = join(dir, 'team.db');
    await S.openSqliteStore(sqliteFile).close();
    const opts = { seconds, rate: paced, writers: WRITERS, inflight: INFLIGHT };
    const pgr = await runTeam(S, 'pg', pgTeam, opts);
    const sq = await runTeam(S, 'sqlite', () => sqliteFile, opts);

    lines.push(`  1. append (commit) → read in another process, writers paced at ${paced}/s each (${WRITERS * paced}/s asked; a writer behind schedule skips), ${seconds} s; store level (subscribe + eventsAfter)`);
    lines.push(`  ${pad('', 36)}${lpad('appended', 9)}${lpad('reads', 8)}${lpad('p50', 10)}${lpad('p99', 10)}${lpad('max', 10)}   call → read p50 / p99   load`);
    const latRow = (label, p) =>
      `  ${pad(label, 36)}${lpad(rate(p.perSecond), 9)}${lpad(p.commit.length, 8)}${lpad(fms(percentile(p.commit, 50)), 10)}${lpad(fms(percentile(p.commit, 99)), 10)}${lpad(fms(p.commit.reduce((a, b) => Math.max(a, b), 0)), 10)}   ${fms(percentile(p.call, 50))} / ${fms(percentile(p.call, 99))}   ${p.load}`;
    lines.push(latRow('PostgreSQL (LISTEN/NOTIFY)', pgr.paced));
    lines.push(latRow(`SQLite (polls every 250 ms)`, sq.paced));
    lines.push(`  2. concurrent durable appends, ${WRITERS} writers as fast as each can, each append awaited on its own, ${seconds} s, readers reading`);
    lines.push(`  ${pad('', 36)}${lpad('appends', 8)}${lpad('rate', 10)}${lpad('append p50', 12)}${lpad('p99', 10)}   read lag p50 / p99      load`);
    const rateRow = (label, p) =>
      `  ${pad(label, 36)}${lpad(p.count, 8)}${lpad(rate(p.perSecond), 10)}${lpad(fms(percentile(p.appendMs, 50)), 12)}${lpad(fms(percentile(p.appendMs, 99)), 10)}   ${fms(percentile(p.commit, 50))} / ${fms(percentile(p.commit, 99))}   ${p.load}`;
    lines.push(rateRow(`PostgreSQL, ${INFLIGHT} in flight each`, pgr.burst));
    lines.push(rateRow(`SQLite, ${INFLIGHT} in flight each`, sq.burst));
    lines.push(rateRow('PostgreSQL, one at a time each', pgr.flat));
    lines.push(rateRow('SQLite, one at a time each', sq.flat));

    // 3. verify: one ledger of `events` events, in SQLite and migrated to PostgreSQL.
    const file = join(dir, 'verify.db');
    const built = buildLedger(S, file, events);
    const pgVerify = await pgLedger(S, server.server, 'verify_bench');
    const t = performance.now();
    await cli(['ledger', 'migrate', '--from', file, '--to', pgVerify('admin')], 'opscockpit ledger migrate', 30 * 60_000);
    const migrateS = (performance.now() - t) / 1000;
    // Turns taken alternately, so a spell of load from elsewhere hits both alike.
    const pgTimes = [];
    const sqTimes = [];
    let pgEvents = 0;
    let sqEvents = 0;
    const verifyLoad = load();
    for (let i = 0; i < 3; i++) {
      const p = timeCliVerify(pgVerify('alice'), 1);
      pgTimes.push(p.seconds);
      pgEvents = p.events;
      const q = timeCliVerify(file, 1);
      sqTimes.push(q.seconds);
      sqEvents = q.events;
    }
    // The built ledger holds a run.completed event per run besides the `events` appended.
    if (pgEvents !== sqEvents || pgEvents < events) throw new BenchError(`ledger verify walked ${pgEvents} events on PostgreSQL and ${sqEvents} on SQLite, from a ledger of ${events} events and more`);
    const pgV = median(pgTimes);
    const sqV = median(sqTimes);
    lines.push(`  3. opscockpit ledger verify of ${pgEvents.toLocaleString('en')} events (built in SQLite in ${built.seconds.toFixed(1)} s, moved with ledger migrate in ${migrateS.toFixed(1)} s), median of 3, load ${verifyLoad}`);
    lines.push(`    PostgreSQL (as an operator login)    ${pgV.toFixed(2)} s`);
    lines.push(`    SQLite, the same ledger              ${sqV.toFixed(2)} s`);

    const p99 = percentile(pgr.paced.commit, 99);
    const burst = pgr.burst.perSecond;
    lines.push(`  goals on PostgreSQL: append → read p99 < ${LATENCY_GOAL_MS} ms: ${fms(p99)}: ${p99 < LATENCY_GOAL_MS ? 'met' : 'NOT met'}; appends (${INFLIGHT} in flight per writer) ≥ ${APPEND_GOAL.toLocaleString('en')}/s: ${rate(burst)}: ${burst >= APPEND_GOAL ? 'met' : 'NOT met'}; verify < ${VERIFY_GOAL_S} s: ${pgV.toFixed(2)} s: ${pgV < VERIFY_GOAL_S ? 'met' : 'NOT met'}; load ${load()} at the end`);

    const sqBase = (value) => ({ value, what: 'SQLite, same run' });
    const round = (x) => Number(x.toFixed(2));
    recordFigure({ figure: `Team ledger: append → read in another process (store level, ${WRITERS} writers, 4 readers), PostgreSQL, p50`, value: round(percentile(pgr.paced.commit, 50)), unit: 'ms', baseline: sqBase(round(percentile(sq.paced.commit, 50))), goal: null, met: null });
    recordFigure({ figure: `Team ledger: append → read in another process (store level, ${WRITERS} writers, 4 readers), PostgreSQL, p99`, value: round(p99), unit: 'ms', baseline: sqBase(round(percentile(sq.paced.commit, 99))), goal: `< ${LATENCY_GOAL_MS} ms`, met: p99 < LATENCY_GOAL_MS });
    recordFigure({ figure: `Team ledger: concurrent durable appends, ${WRITERS} writer processes × ${INFLIGHT} in flight, PostgreSQL`, value: Math.round(burst), unit: 'events/s', baseline: sqBase(Math.round(sq.burst.perSecond)), goal: `≥ ${APPEND_GOAL.toLocaleString('en')}/s`, met: burst >= APPEND_GOAL });
    recordFigure({ figure: `Team ledger: durable appends one at a time, ${WRITERS} writer processes × 1 in flight, PostgreSQL`, value: Math.round(pgr.flat.perSecond), unit: 'events/s', baseline: sqBase(Math.round(sq.flat.perSecond)), goal: null, met: null });
    recordFigure({ figure: `Team ledger: verify ${(events / 1e6).toLocaleString('en')}M events on PostgreSQL (opscockpit ledger verify)`, value: round(pgV), unit: 's', baseline: { value: round(sqV), what: 'SQLite, the same ledger' }, goal: `< ${VERIFY_GOAL_S} s`, met: pgV < VERIFY_GOAL_S });
    return { lines };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundleFile, { force: true });
  }
}

await runAlone(import.meta.url, 'team', benchTeam);
