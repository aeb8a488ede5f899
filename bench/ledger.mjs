// Ledger benchmark: what the hash chain costs.
//   1. Appends through the real adapter (hash chain) beside plain inserts without it, each in
//      a file of its own with the adapter's connection pragmas, in the same transaction shape
//      as the adapter before the chain (run check, next seq, JSON.stringify, one INSERT per
//      event): single durable appends (synchronous=FULL), single normal appends, and
//      appendMany batches of 1,000. Two baselines: the v1 layout without the hash columns,
//      plain inserts without the chain (the difference is everything the chain costs, its
//      32-byte hash BLOB per row included: the headline "chain cost"), and a table with the
//      same columns, hash holding a fixed 32-byte placeholder and prev_hash left empty as the
//      adapter leaves it (rows the same size: the difference is the hashing alone, shown
//      second). The three take turns in small chunks; events/s are medians of rounds, costs
//      the median of the ratios of turns taken back to back (robust to load from elsewhere).
//      Goal: batched ≥ 50,000 events/s. The chain cost is reported, not judged.
//   2. `verifyLedger` over 1,000,000 events (built with appendMany; plain and keyed chain),
//      beside reading the same rows the same way without hashing. Goal: under 3 s.
//   3. A gate check's evidence lookup in that ledger (the evidence events' index), beside
//      reading one run's events, and the lookup as it was before (every run's events), once.
// The chain is hashed in TypeScript (adapters/ledger-hasher.ts), one crypto call a row.
// The adapter is bundled with esbuild (as the ledger tests do), so this runs with plain node.
//
//   node bench/ledger.mjs
//   BENCH_LEDGER_EVENTS=200000 BENCH_LEDGER_ROUNDS=3 BENCH_LEDGER_KEYED=0 node bench/ledger.mjs
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError, bundleModules, median, positiveInt, recordFigure, runAlone, pad, lpad } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH_GOAL = 50_000; // events/s
const VERIFY_GOAL_S = 3;
const BATCH = 1000;

// A realistic mix: two thirds check results (~300 bytes of JSON), one third step notes.
const RESULT = { check: 'readyz', status: 'passed', code: 'ok', reason: 'GET /readyz answered 200 in 12 ms', startedAt: 1763897000000, durationMs: 12, httpStatus: 200, latencyMs: 12 };
const body = (i) =>
  i % 3 ? { kind: 'check.changed', check: 'readyz', result: { ...RESULT, durationMs: i % 997 } } : { kind: 'step.note', phase: 'preflight', step: 'db', note: `operator note ${i}` };
const bodies = (n, from = 0) => Array.from({ length: n }, (_, i) => body(from + i));

const PLACEHOLDER = Buffer.alloc(32, 0xff); // a stored hash's size: 32-byte BLOB

/**
 * Plain inserts: the adapter's append transaction as it was before the chain, into its own
 * table; `sameColumns` adds prev_hash (left empty) and hash holding a placeholder.
 */
function plainAppender(db, table, sameColumns) {
  const hashCols = sameColumns ? ", prev_hash BLOB NOT NULL DEFAULT X'', hash BLOB NOT NULL" : '';
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs (run_id), seq INTEGER NOT NULL,
    at INTEGER NOT NULL, kind TEXT NOT NULL, step TEXT, operator TEXT NOT NULL, payload TEXT NOT NULL${hashCols}, UNIQUE (run_id, seq))`);
  const getRun = db.prepare('SELECT run_id FROM runs WHERE run_id = ?');
  const addRun = db.prepare("INSERT INTO runs (run_id, runbook, name, status, started_at) VALUES (?, '/bench/append.yaml', ?, 'running', ?)");
  const nextSeq = db.prepare(`SELECT COALESCE(MAX(seq), 0) + 1 FROM ${table} WHERE run_id = ?`).pluck();
  const insert = sameColumns
    ? db.prepare(`INSERT INTO ${table} (run_id, seq, at, kind, step, operator, payload, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    : db.prepare(`INSERT INTO ${table} (run_id, seq, at, kind, step, operator, payload) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const full = db.prepare('PRAGMA synchronous = FULL');
  const normal = db.prepare('PRAGMA synchronous = NORMAL');
  const tx = db.transaction((runId, operator, list, at) => {
    if (!getRun.get(runId)) throw new Error(`no run ${runId}`);
    let seq = nextSeq.get(runId);
    return list.map((b) => {
      const step = 'step' in b ? b.step : null;
      // Bound like the adapter binds its hash, so only the hash work differs.
      if (sameColumns) insert.run(runId, seq, at, b.kind, step, operator, JSON.stringify(b), PLACEHOLDER);
      else insert.run(runId, seq, at, b.kind, step, operator, JSON.stringify(b));
      return { runId, seq: seq++, at, operator, body: b };
    });
  });
  return {
    startRun(runId, name) {
      addRun.run(runId, name, Date.now());
    },
    appendMany(runId, operator, list, at, opts) {
      if (!opts?.durable) return tx.immediate(runId, operator, list, at);
      full.run();
      try {
        return tx.immediate(runId, operator, list, at);
      } finally {
        normal.run();
      }
    },
  };
}

/**
 * `count` events into each target, `per` at a time, the targets taking turns in chunks of
 * `chunk` events (order rotating). Returns each target's milliseconds per turn. Turns taken
 * back to back see the same load from other processes and the same spell of the disk.
 */
function takeTurns(targets, runId, count, per, chunk, durable) {
  const list = bodies(per);
  const turns = targets.map(() => []);
  for (let done = 0, turn = 0; done < count; done += chunk, turn++) {
    const n = Math.min(chunk, count - done);
    for (let k = 0; k < targets.length; k++) {
      const t = (k + turn) % targets.length;
      const start = performance.now();
      for (let i = 0; i < n; i += per) targets[t].appendMany(runId, 'bench', list, Date.now(), { durable });
      turns[t].push(performance.now() - start);
    }
  }
  return turns;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** Extra time per event of `a` against `b`: the median over turns taken back to back, in %. */
const extraPct = (a, b) => (median(a.map((ms, i) => ms / b[i])) - 1) * 100;

const fmtRate = (r) => `${Math.round(r).toLocaleString('en')}/s`;

async function benchAppends(L, dir, rounds) {
  // A file and a connection each, with the adapter's own pragmas: each pays for its own WAL
  // checkpoints (bigger rows, more pages, more of them), and none re-reads its page cache
  // because another one wrote.
  const file = join(dir, 'append.db');
  const ledger = L.openLedger(file);
  const conns = [L.openLedgerDatabase(join(dir, 'same-columns.db')), L.openLedgerDatabase(join(dir, 'v1-layout.db'))];
  const same = plainAppender(conns[0], 'bench_same_columns', true);
  const v1 = plainAppender(conns[1], 'bench_v1_layout', false);
  const modes = [
    { name: 'single durable append (FULL)', count: positiveInt('BENCH_LEDGER_DURABLE', 1000), per: 1, chunk: 20, durable: true },
    { name: 'single append (NORMAL)', count: positiveInt('BENCH_LEDGER_SINGLE', 5000), per: 1, chunk: 100, durable: false },
    { name: `appendMany, ${BATCH.toLocaleString('en')} per transaction`, count: positiveInt('BENCH_LEDGER_BATCHED', 100_000), per: BATCH, chunk: 2 * BATCH, durable: false },
  ];
  const results = [];
  try {
    for (const m of modes) {
      const targets = [ledger, same, v1];
      const rates = targets.map(() => []);
      const turns = targets.map(() => []);
      for (let r = 0; r < rounds; r++) {
        // Fresh runs each round, so next-seq lookups cost the same for all three.
        const run = ledger.startRun({ runbook: '/bench/append.yaml', name: `${m.name} ${r}` }, Date.now()).runId;
        for (const plain of [same, v1]) plain.startRun(run, `${m.name} ${r}`);
        const round = takeTurns(targets, run, m.count, m.per, m.chunk, m.durable);
        round.forEach((ms, t) => {
          rates[t].push(m.count / (sum(ms) / 1000));
          turns[t].push(...ms);
        });
      }
      const [chain, base, layout] = rates.map(median);
      // Cost as extra time per event, turn by turn: a burst of load that slows one turn of
      // one target moves one ratio among hundreds, not a whole round's total.
      results.push({ ...m, chain, base, v1: layout, costPct: extraPct(turns[0], turns[1]), totalPct: extraPct(turns[0], turns[2]) });
    }
    const v = L.verifyLedger(file);
    if (!v.ok) throw new BenchError(`the chain written by the append bench does not verify: ${JSON.stringify(v.firstBroken)}`);
  } finally {
    for (const c of conns) c.close();
    ledger.close();
  }
  return results;
}

/** A ledger of `n` events: 100-run batches of appendMany; returns its path and events/s. */
export function buildLedger(L, file, n, chainKey) {
  const ledger = L.openLedger(file, { chainKey });
  try {
    const perRun = Math.max(BATCH, Math.ceil(n / 100 / BATCH) * BATCH);
    const list = bodies(BATCH);
    const t = performance.now();
    let done = 0;
    while (done < n) {
      const run = ledger.startRun({ runbook: '/bench/verify.yaml', name: `run ${done}` }, Date.now()).runId;
      for (let i = 0; i < perRun && done < n; i += BATCH) {
        const k = Math.min(BATCH, n - done);
        ledger.appendMany(run, 'bench', k === BATCH ? list : list.slice(0, k), Date.now());
        done += k;
      }
      ledger.appendMany(run, 'bench', [{ kind: 'run.completed', status: 'succeeded' }], Date.now());
      ledger.completeRun(run, 'succeeded', Date.now());
    }
    return { seconds: (performance.now() - t) / 1000 };
  } finally {
    ledger.close();
  }
}

function timeVerify(L, file, runs, chainKey) {
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = L.verifyLedger(file, { chainKey });
    times.push((performance.now() - t) / 1000);
  }
  if (!last.ok) throw new BenchError(`verify reports a broken ledger the bench built: ${JSON.stringify(last.firstBroken ?? last.runMismatches[0])}`);
  return { seconds: median(times), events: last.events };
}

/**
 * `opscockpit ledger verify` as an operator runs it: the built binary, start-up included (two
 * walks at once on SQLite). `file` may be a postgres:// URL.
 */
export function timeCliVerify(file, runs, chainKey) {
  const bin = join(ROOT, 'bin', 'opscockpit');
  if (!existsSync(join(ROOT, 'dist', 'opscockpit.js'))) return undefined;
  const env = { PATH: process.env.PATH, ...(chainKey ? { OPSCOCKPIT_LEDGER_KEY: chainKey } : {}) };
  const times = [];
  let walks = 1;
  let events = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const doc = JSON.parse(execFileSync(process.execPath, [bin, 'ledger', 'verify', '--ledger', file, '--json'], { env, encoding: 'utf8' }));
    times.push((performance.now() - t) / 1000);
    if (!doc.ok) throw new BenchError(`opscockpit ledger verify reports a broken ledger the bench built: ${JSON.stringify(doc.firstBroken)}`);
    walks = doc.walks;
    events = doc.events;
  }
  return { seconds: median(times), walks, events };
}

/** The floor: the same rows read the way verify reads them (pages of 1,000 in id order, hashes as hex), no hashing. */
function timeWalk(L, file, runs) {
  const db = L.openLedgerDatabase(file);
  try {
    const page = db.prepare(`SELECT ${L.VERIFY_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT 1000`).raw();
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      let n = 0;
      db.transaction(() => {
        for (let rows = page.all(0); rows.length; rows = page.all(rows[rows.length - 1][0])) n += rows.length;
      })();
      times.push((performance.now() - t) / 1000);
    }
    return median(times);
  } finally {
    db.close();
  }
}

/**
 * A gate check's evidence lookup (LedgerPort.evidenceEvents) on the built ledger, once three runs
 * harvested evidence, beside reading one run's events; and, once, the lookup as it was before the
 * evidence events had an index of their own: every event of every run.
 */
function timeEvidenceLookup(L, file, runs) {
  const ledger = L.openLedger(file);
  try {
    const path = '/bench/evidence/latest.json';
    const all = ledger.listRuns(Number.MAX_SAFE_INTEGER);
    const at = Date.now();
    // Newest first: the oldest of the three runs harvests first.
    [0.9, 0.5, 0.2].forEach((f, v) =>
      ledger.append(all[Math.floor(all.length * f)].runId, 'bench', { kind: 'evidence.recorded', path, sha256: 'e'.repeat(64), version: v + 1, state: 'WIP', samples: 9 }, at + v),
    );
    const timed = (fn, n = runs) => {
      const times = [];
      let out;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        out = fn();
        times.push(performance.now() - t);
      }
      return { ms: median(times), out };
    };
    const lookup = timed(() => ledger.evidenceEvents(path));
    if (lookup.out.at(-1)?.body.version !== 3) throw new BenchError(`the evidence lookup found ${JSON.stringify(lookup.out.map((e) => e.body.version))}, not versions 1-3`);
    const oneRun = timed(() => ledger.events(all[0].runId));
    const everyRun = timed(() => all.flatMap((r) => ledger.events(r.runId).filter((e) => e.body.kind === 'evidence.recorded' && e.body.path === path)), 1);
    return { ms: lookup.ms, oneRunMs: oneRun.ms, oneRunEvents: oneRun.out.length, everyRunMs: everyRun.ms };
  } finally {
    ledger.close();
  }
}

export async function benchLedger() {
  const events = positiveInt('BENCH_LEDGER_EVENTS', 1_000_000);
  const rounds = positiveInt('BENCH_LEDGER_ROUNDS', 5);
  const keyed = process.env.BENCH_LEDGER_KEYED !== '0';
  const bundle = await bundleModules('ledger', "export * from './adapters/ledger.ts';\nexport * from './adapters/ledger-verify.ts';\n");
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-ledger-'));
  try {
    const L = await import(pathToFileURL(bundle).href);
    const lines = [`ledger: hash-chained appends vs plain inserts (a file each, same pragmas, taking turns), ${rounds} rounds; hashing in TypeScript, a row per call`];
    lines.push(`  ${pad('', 44)}${lpad('chained', 10)}${lpad('no chain', 10)}${lpad('chain cost', 12)}${lpad('same cols', 11)}${lpad('hashing', 10)}`);
    const appends = await benchAppends(L, dir, rounds);
    const pct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
    const k = (r) => `${Math.round(r).toLocaleString('en')}`;
    for (const a of appends)
      lines.push(`  ${pad(`${a.name} ×${a.count.toLocaleString('en')}`, 44)}${lpad(k(a.chain), 10)}${lpad(k(a.v1), 10)}${lpad(pct(a.totalPct), 12)}${lpad(k(a.base), 11)}${lpad(pct(a.costPct), 10)}`);
    lines.push('  (no chain: the v1 layout, plain inserts without the hash columns; chain cost: extra time per event against it,');
    lines.push('   the 32-byte hash BLOB per row included; same cols / hashing: against plain inserts into the same columns;');
    lines.push('   costs are medians of the ratios of turns taken back to back, events/s medians of rounds)');
    const batched = appends[2];
    const worst = appends.reduce((w, a) => (a.totalPct > w.totalPct ? a : w));
    const worstHashing = Math.max(...appends.map((a) => a.costPct));
    lines.push(`  chain cost (not a goal; against plain inserts without the chain): worst ${worst.totalPct.toFixed(1)} % (${worst.name}), batched ${batched.totalPct.toFixed(1)} %`);
    lines.push(`    of which hashing (against the same columns holding a placeholder): worst ${worstHashing.toFixed(1)} %, batched ${batched.costPct.toFixed(1)} %`);
    lines.push(`  batched (goal ≥ ${BATCH_GOAL.toLocaleString('en')}/s): ${fmtRate(batched.chain)}: ${batched.chain >= BATCH_GOAL ? 'met' : 'NOT met'}`);

    const file = join(dir, 'verify.db');
    const built = buildLedger(L, file, events);
    const verify = timeVerify(L, file, 3);
    const cliVerify = timeCliVerify(file, 3);
    const walk = timeWalk(L, file, 3);
    const mb = statSync(file).size / 1e6;
    lines.push(`  verify ${verify.events.toLocaleString('en')} events (${mb.toFixed(0)} MB; built with appendMany in ${built.seconds.toFixed(1)} s = ${fmtRate(events / built.seconds)}), median of 3:`);
    lines.push(`    verifyLedger, SHA-256 chain          ${verify.seconds.toFixed(2)} s`);
    let keyedVerify;
    let cliKeyed;
    if (keyed) {
      const kfile = join(dir, 'verify-keyed.db');
      buildLedger(L, kfile, events, 'bench-key');
      keyedVerify = timeVerify(L, kfile, 3, 'bench-key');
      cliKeyed = timeCliVerify(kfile, 3, 'bench-key');
      rmSync(kfile, { force: true });
      lines.push(`    verifyLedger, HMAC chain (keyed)     ${keyedVerify.seconds.toFixed(2)} s`);
    }
    lines.push(`    baseline: walk the rows, no hashing  ${walk.toFixed(2)} s   (one walk, in this process)`);
    if (cliVerify) {
      lines.push(`    opscockpit ledger verify (CLI)       ${cliVerify.seconds.toFixed(2)} s   (start-up included, ${cliVerify.walks} walks at once)`);
      if (cliKeyed) lines.push(`    opscockpit ledger verify, keyed      ${cliKeyed.seconds.toFixed(2)} s`);
    }
    const gate = timeEvidenceLookup(L, file, 20);
    lines.push(`  a gate check's evidence lookup in the same ledger (3 harvests in it), median of 20:`);
    lines.push(`    evidenceEvents(path), by its index   ${gate.ms.toFixed(2)} ms`);
    lines.push(`    baseline: read one run's events      ${gate.oneRunMs.toFixed(2)} ms   (${gate.oneRunEvents.toLocaleString('en')} events)`);
    lines.push(`    before: every event of every run     ${(gate.everyRunMs / 1000).toFixed(2)} s   (once)`);
    // The goal is judged on what the operator runs (the CLI) when it is built; else on one walk.
    const judged = cliVerify ? [cliVerify.seconds, cliKeyed?.seconds ?? 0] : [verify.seconds, keyedVerify?.seconds ?? 0];
    const slowest = Math.max(...judged);
    lines.push(`  verify (goal < ${VERIFY_GOAL_S} s): ${slowest.toFixed(2)} s${keyed ? ' (slower of the two)' : ''}${cliVerify ? ', opscockpit ledger verify' : ', one walk'}: ${slowest < VERIFY_GOAL_S ? 'met' : 'NOT met'}`);
    recordFigure({ figure: 'Ledger: batched appends (appendMany, hash-chained)', value: Math.round(batched.chain), unit: 'events/s', baseline: { value: Math.round(batched.v1), what: 'plain inserts, no chain' }, ratio: batched.chain / batched.v1, goal: `≥ ${BATCH_GOAL.toLocaleString('en')}/s`, met: batched.chain >= BATCH_GOAL });
    recordFigure({ figure: 'Ledger: chain cost, batched appends', value: Number(batched.totalPct.toFixed(1)), unit: '%', baseline: null, goal: null, met: null });
    recordFigure({ figure: `Ledger: verify ${(events / 1e6).toLocaleString('en')}M events${cliVerify ? ' (opscockpit ledger verify)' : ' (one walk)'}`, value: Number(slowest.toFixed(2)), unit: 's', baseline: { value: Number(walk.toFixed(2)), what: 'walk the rows, no hashing' }, goal: `< ${VERIFY_GOAL_S} s`, met: slowest < VERIFY_GOAL_S });
    recordFigure({ figure: `Ledger: a gate check's evidence lookup, ${(events / 1e6).toLocaleString('en')}M events`, value: Number(gate.ms.toFixed(2)), unit: 'ms', baseline: { value: Number(gate.oneRunMs.toFixed(2)), what: `read one run's ${gate.oneRunEvents.toLocaleString('en')} events` }, goal: null, met: null });
    return { lines, appends, verifySeconds: verify.seconds, keyedVerifySeconds: keyedVerify?.seconds, walkSeconds: walk };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

await runAlone(import.meta.url, 'ledger', benchLedger);
