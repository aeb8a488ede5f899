// A cockpit session driven without a screen, for the crash test: it walks the demo runbook
// step by step and rolls back after the preflight, printing every event as soon as the ledger has
// stored it. The test kills it with SIGKILL at random moments and starts it again.
import { loadRunbook } from '../../src/runbook/load.js';
import { Redactor } from '../../src/runbook/secrets.js';
import { openLedger } from '../../adapters/ledger.js';
import { openSession } from '../../src/session/session.js';
import { SqliteStore } from '../../adapters/sqlite-store.js';
import { currentStep } from '../../src/engine/checklist.js';
import { watchLedger } from '../../src/session/notifications.js';
import { unlockRunbook } from '../../src/session/runbook-lock.js';
import { Controls } from '../../src/session/controls.js';
import { CONTROL_SCOPES } from '../../src/engine/safety.js';
import { RunbookLockedError } from '../../src/session/run-lifecycle.js';

const [runbookFile, ledgerPath] = process.argv.slice(2);
const runbook = loadRunbook(runbookFile, process.env);
const ledger = openLedger(ledgerPath, { redactor: new Redactor(runbook.secrets, process.env) });
// Events appended inside a transaction are stored when it commits: reported then.
const reporting = watchLedger(new SqliteStore(ledger, ledgerPath), (events) => {
  for (const ev of events) process.stdout.write(`recorded ${ev.runId} ${ev.seq} ${ev.body.kind}\n`);
});
const open = () => openSession({ runbook, ledger: reporting, ledgerPath, env: process.env });
// After a run that rolled back, the runbook is locked until a person unlocks it with a reason:
// this driver is that person, before its next run.
const session = await open().catch(async (err: unknown) => {
  if (!(err instanceof RunbookLockedError)) throw err;
  const controls = new Controls(reporting, runbook.safety, 'crash', () => Date.now(), 'crash', new Set([CONTROL_SCOPES.unlock]));
  const unlocked = await unlockRunbook(controls, runbook, 'the crash test starts its next run');
  if (!unlocked.ok) throw err;
  return open();
});
const s0 = session.store.getState();
process.stdout.write(`opened ${session.runId} ${s0.checklist.active} ${s0.checklist.phases[s0.checklist.active].done} ${s0.resumed}\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (;;) {
  const s = session.store.getState();
  if (s.run?.status !== 'running') break;
  const step = currentStep(s.checklist);
  // Preflight walked, the cutover goes wrong: roll back (a script of about a second).
  if (s.checklist.active === 'postflight') await session.runAction('rollback', 'rollback');
  else if (step && step.state !== 'running') session.command('step.advance');
  await sleep(120);
}
process.stdout.write(`finished ${session.runId}\n`);
await session.stop();
ledger.close();
