// `opscockpit run RUNBOOK [--action NAME]... [--param NAME=VALUE]... [--yes] [--json]`: the procedure headless.
import { resolve } from 'node:path';
import { Redactor } from '../../runbook/secrets.js';
import { chainKeyFrom } from '../../../adapters/ledger-key.js';
import { chosenLedgerLocation } from '../../../adapters/ledger-path.js';
import { openLedgerStore } from '../../../adapters/ledger-store-open.js';
import { RUN_EXIT, runProcedure, type RunReport } from '../../session/headless-run.js';
import { NO_STEPS_REASON, stepless } from '../../engine/verdict.js';
import { UsageError } from '../errors.js';
import { STATE_MARK, failureLines } from '../format.js';
import { parseCommandArgs } from '../args.js';
import { PARAM_OPTION, actionValuesMissing, loadWithParams, takeOverReason } from '../params.js';
import type { Io } from '../main.js';

export function formatRunReport(r: RunReport): string {
  const lines = [`${r.name}: ${r.outcome}${r.stopped ? ` — ${r.stopped}` : ''}`, ''];
  const step = (s: RunReport['steps'][number]) => {
    lines.push(`  [${STATE_MARK[s.state] ?? s.state}] ${s.phase} ${s.title}${s.reason ? ` — ${s.reason}` : ''}`);
    if (s.failure) lines.push(...failureLines(s.failure));
  };
  r.steps.filter((s) => s.phase === 'preflight').forEach(step);
  for (const a of r.actions) {
    lines.push(`  [${a.status === 'succeeded' ? 'ok  ' : a.status === 'dry-run' ? 'dry ' : 'FAIL'}] action ${a.action} — ${a.status}: ${a.reason}`);
    if (a.remedy) lines.push(`         remedy: ${a.remedy}`);
    if (a.failure) lines.push(...failureLines(a.failure));
  }
  r.steps.filter((s) => s.phase === 'postflight').forEach(step);
  lines.push('', r.ledgerLost ? `run ${r.runId} recorded in ${r.ledger} until it was lost: ${r.ledgerLost}` : `run ${r.runId} recorded in ${r.ledger}`);
  return lines.join('\n') + '\n';
}

export async function runCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('run', args, {
    ledger: { type: 'string' },
    action: { type: 'string', multiple: true },
    confirm: { type: 'string', multiple: true },
    yes: { type: 'boolean' },
    json: { type: 'boolean' },
    'take-over': { type: 'string' },
    ...PARAM_OPTION,
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one runbook file' : 'missing RUNBOOK', 'run');
  const file = resolve(positionals[0]);
  const ledgerPath = chosenLedgerLocation({ ledger: values.ledger, runbook: file }, io.env);
  const takeOver = takeOverReason(values['take-over'], 'run');
  const loaded = await loadWithParams('run', file, values, io, { shown: positionals[0], ledgerPath, seat: { takeOver } });
  if (typeof loaded === 'number') return loaded;
  const { runbook, env } = loaded;
  const names = values.action ?? [];
  for (const name of names) {
    if (!runbook.actions[name]) throw new UsageError(`the runbook has no action "${name}" (actions: ${Object.keys(runbook.actions).join(', ') || 'none'})`, 'run');
  }
  const confirm = (values.confirm ?? []).flatMap((c) => c.split(','));
  // What a person confirms: manual steps, and scripts that wait for a person (confirm-first);
  // any step whose outcome is unknown (its cockpit died while it ran), to run it again.
  const steps = [...runbook.checklists.preflight, ...runbook.checklists.postflight];
  const confirmable = new Set(steps.filter((st) => !st.check || st.confirm).map((st) => st.id));
  for (const id of confirm) {
    // One name, one thing confirmed: a step's attestation never also runs an action again.
    if (steps.some((st) => st.id === id) && Object.hasOwn(runbook.actions, id)) throw new UsageError(`--confirm ${id}: both a step and an action are named "${id}"; rename one in the runbook to confirm it`, 'run');
    // An action's name runs it again once its last outcome is unknown (--yes never does).
    if (!steps.some((st) => st.id === id) && !Object.hasOwn(runbook.actions, id)) {
      const which = `manual and confirm-first steps: ${[...confirmable].join(', ') || 'none'}; another step, or an action, only to run it again once its outcome is unknown`;
      throw new UsageError(`--confirm ${id}: the runbook has no step or action "${id}" (${which})`, 'run');
    }
  }
  if (stepless(runbook)) {
    io.stderr.write(`opscockpit: ${NO_STEPS_REASON}: nothing was run or recorded (${positionals[0]})\n`);
    return RUN_EXIT['no-go'];
  }
  if (names.length && !values.yes) throw new UsageError('running actions headless needs --yes (nobody is there to type the confirmation)', 'run');
  const needs = actionValuesMissing('run', positionals[0], runbook, names, env, io);
  if (needs !== undefined) return needs;
  const ledger = await openLedgerStore(ledgerPath, { redactor: new Redactor(runbook.secrets, env), chainKey: chainKeyFrom(io.env) });
  try {
    const report = await runProcedure({ runbook, ledger, ledgerPath, env, actions: names, yes: values.yes === true, confirm, takeOver, signal: io.shutdownSignal?.() });
    io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatRunReport(report));
    return RUN_EXIT[report.outcome];
  } finally {
    await ledger.close();
  }
}
