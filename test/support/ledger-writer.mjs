// Child process for the ledger concurrency test. It loads the real adapter, bundled by the
// test with esbuild (the test runs TS sources; plain node cannot import them).
// Usage: node ledger-writer.mjs <bundle.mjs> <ledger.db> <runId> <count> <operator> [ownRunId]
// Prints "ready" once the ledger is open, then waits for a line on stdin so that both
// writers start appending at the same moment. With ownRunId, every fourth event goes to that
// run instead: the hash chain runs through all runs, so it must hold across them too.
import { pathToFileURL } from 'node:url';

const [bundle, dbPath, runId, count, operator, ownRunId] = process.argv.slice(2);
const { openLedger } = await import(pathToFileURL(bundle).href);
const ledger = openLedger(dbPath);
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
try {
  for (let i = 0; i < Number(count); i++) {
    // Every 50th write is durable, so the fsync path is contended too.
    const run = ownRunId && i % 4 === 3 ? ownRunId : runId;
    ledger.append(run, operator, { kind: 'step.note', phase: 'postflight', step: 's', note: `${operator} ${i}` }, Date.now(), {
      durable: i % 50 === 0,
    });
    // Pause now and then, like a real session between events. Without pauses one writer
    // re-takes the lock back to back and the other just waits in busy_timeout until it is
    // done, so the two would never interleave and seq allocation would not be contended.
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  ledger.close();
} catch (err) {
  process.stderr.write(`${err.code ?? ''} ${err.message}\n`);
  process.exit(1);
}
