// alice's cockpit in a process of its own, for the dead-driver test: it opens the runbook on a
// ledger (a SQLite file or a postgres:// URL) as its driver, starts the first step (a block that runs until it is let go) and
// says so; then it only lives, beating its leases, until the test kills it with SIGKILL.
import { loadRunbookFile } from '../../src/runbook/load.js';
import { openSession } from '../../src/session/session.js';
import { openLedgerStore } from '../../adapters/ledger-store-open.js';

const [runbookFile, ledgerPath] = process.argv.slice(2);
const runbook = await loadRunbookFile(runbookFile, process.env);
const session = await openSession({ runbook, ledger: await openLedgerStore(ledgerPath), ledgerPath, env: process.env, seat: 'join', reason: 'nightly drain' });
session.start();
void session.advance();
for (;;) {
  const started = session.store.getState().events.find((e) => e.body.kind === 'step.started');
  if (started) {
    process.stdout.write(`running ${session.runId} ${started.seq}\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
