// `opscockpit ledger verify`: walk the ledger's hash chain and say whether its history is
// intact; if not, name the first event where it breaks and what happened there.
import { existsSync } from 'node:fs';
import { chainKeyFrom, chosenLedgerPath } from '../../../adapters/ledger.js';
import { noLedgerAt } from '../../../adapters/ledger-errors.js';
import { verifyLedgerFile, type ChainBreak, type LedgerVerification, type RunStatusMismatch } from '../../../adapters/ledger-verify.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../main.js';

export const verifyHelp = {
  usage: 'opscockpit ledger verify [--ledger PATH|postgres://… | --runbook FILE] [--json]',
  summary: "Check the ledger's history: no event changed, removed, inserted or reordered.",
  details: `Every event stores the hash of its content and of the event before it. verify walks that
chain from the first event to the last and names the first place it breaks, and checks each
run's status against its last run.completed event. A ledger sealed with OPSCOCKPIT_LEDGER_KEY
(HMAC) needs the same key to be verified.

Options:
  --ledger PATH    the ledger file (default: .opscockpit/ledger.db here, or beside --runbook),
                   or a PostgreSQL ledger's postgres:// URL (also OPSCOCKPIT_LEDGER)
  --runbook FILE   use the ledger beside this runbook
  --json           print the result as JSON
Exit codes: 0 intact, 2 broken or not a ledger (empty, another file, damaged; with a key set, a chain\nnot sealed with it), 1 error (no ledger, a keyed ledger and no key).`,
};

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  try {
    return await runVerify(args[0] === 'verify' ? args.slice(1) : args, io);
  } catch (err) {
    // Not a ledger at all (empty, another file, damaged): nothing in it is vouched for.
    if (err instanceof Error && err.name === 'NotALedgerError') {
      io.stderr.write(`opscockpit: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof UsageError) && !(err instanceof Error && err.name === 'LedgerError')) throw err;
    io.stderr.write(
      err instanceof UsageError ? `opscockpit ledger verify: ${err.message}\nUsage: ${verifyHelp.usage}\n` : `opscockpit: ${err.message}\n`,
    );
    return 1;
  }
}

async function runVerify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('ledger', args, {
    ledger: { type: 'string' },
    runbook: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(`Usage: ${verifyHelp.usage}\n\n${verifyHelp.summary}\n\n${verifyHelp.details}\n`);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  if (values.ledger !== undefined && values.runbook !== undefined) throw new UsageError('give --ledger or --runbook, not both', 'ledger');
  const location = (values.ledger as string | undefined) ?? (values.runbook === undefined ? postgresFromEnv(io.env) : undefined);
  if (location && /^postgres(ql)?:\/\//i.test(location)) {
    const { verifyPgLedger } = await import('../../../adapters/pg-verify.js');
    const { pgTarget } = await import('../../../adapters/pg-connect.js');
    const v = await verifyPgLedger(location, { chainKey: chainKeyFrom(io.env) });
    return report(pgTarget(location).location, v, !!values.json, io);
  }
  const path = chosenLedgerPath({ ...values, ledger: location });
  if (!existsSync(path)) {
    io.stderr.write(`opscockpit: ${noLedgerAt(path, values).message}\n`);
    return 1;
  }
  const key = chainKeyFrom(io.env);
  // Large ledgers are walked in two halves at once; OPSCOCKPIT_VERIFY_SPLIT_MIN sets from how many events.
  const splitMin = Number(io.env.OPSCOCKPIT_VERIFY_SPLIT_MIN) || undefined;
  const v = await verifyLedgerFile(path, { chainKey: key, splitMin });
  return report(path, v, !!values.json, io);
}

import { postgresFromEnv } from '../../../adapters/ledger-path.js';

export { postgresFromEnv };

function report(where: string, v: LedgerVerification, json: boolean, io: Io): number {
  if (json) io.stdout.write(JSON.stringify(verificationJson(where, v), null, 2) + '\n');
  else io.stdout.write(formatVerification(where, v) + '\n');
  return v.ok ? 0 : 2;
}

function verificationJson(path: string, v: LedgerVerification) {
  return {
    ledger: path,
    ok: v.ok,
    events: v.events,
    walks: v.walks ?? 1,
    chain: v.chain.algorithm,
    ...(v.firstBroken && { firstBroken: { ...v.firstBroken, problem: describeBreak(v.firstBroken) } }),
    runMismatches: v.runMismatches,
    problems: v.problems,
    notes: v.notes,
    ...(v.chain.legacyThrough > 0 && { chainedOnUpgrade: { through: v.chain.legacyThrough, at: new Date(v.chain.chainedAt).toISOString() } }),
  };
}

const n = (x: number) => x.toLocaleString('en');
const range = (m: { from: number; to: number }) => (m.from === m.to ? `event #${m.from}` : `events #${m.from}–#${m.to}`);
const areMissing = (m: { from: number; to: number }) => (m.from === m.to ? 'is missing — deleted after it was written' : 'are missing — deleted after they were written');

/** What is wrong at a break, in the operator's words. */
export function describeBreak(b: ChainBreak): string {
  switch (b.reason) {
    case 'hash mismatch':
      // Its hash also covers the hash of the event before: a rehashed copy there shows here.
      return b.id > 1
        ? `content does not match its hash — edited after it was written, or event #${b.id - 1} was replaced by a copy with a recomputed hash`
        : 'content does not match its hash — edited after it was written';
    case 'prev_hash mismatch':
      return `its link to event #${b.id - 1} does not match that event's hash — events before it were replaced, inserted or reordered`;
    case 'gap':
      return `the run's events jump from seq ${(b.expectedSeq ?? 1) - 1} to ${b.seq} — an event of this run is missing`;
    case 'missing row': {
      const m = b.missing ?? { from: b.id, to: b.id };
      if (m.from > b.id) return `${range(m)} that followed it ${areMissing(m)}`;
      return `${range(m)} before it ${areMissing(m)}`;
    }
  }
}

/** The headline: where the chain breaks. */
export function breakHeadline(b: ChainBreak): string {
  if (b.id === 0) return `broken: ${range(b.missing ?? { from: 1, to: 1 })} ${areMissing(b.missing ?? { from: 1, to: 1 })} (no events left)`;
  const where = b.missing && b.missing.from > b.id ? 'after' : 'at';
  return `broken ${where} event #${b.id} (run ${b.runId}, seq ${b.seq}): ${describeBreak(b)}`;
}

function describeMismatch(m: RunStatusMismatch): string {
  return `run ${m.runId} is marked ${m.status}, but its last run.completed event (#${m.eventId}, seq ${m.seq}) says ${m.completedAs} — the runs table no longer matches the record`;
}

export function formatVerification(path: string, v: LedgerVerification): string {
  const chain = v.chain.algorithm === 'hmac-sha256' ? 'HMAC-SHA256 (keyed)' : 'SHA-256';
  const lines: string[] = [];
  const events = `${n(v.events)} ${v.events === 1 ? 'event' : 'events'}`;
  if (v.firstBroken) lines.push(`ledger ${path}: BROKEN`, `  ${breakHeadline(v.firstBroken)}`, `  ${events} in one ${chain} chain; only the first break is named, more may follow it.`);
  else if (v.runMismatches.length || v.problems.length) lines.push(`ledger ${path}: NOT INTACT (${events}, ${chain} chain)`);
  else lines.push(`ledger ${path}: intact — ${events} in one ${chain} chain, run statuses match their events`);
  for (const m of v.runMismatches) lines.push(`  ${describeMismatch(m)}`);
  for (const p of v.problems) lines.push(`  ${p}`);
  for (const note of v.notes) lines.push(`  note: ${note}`);
  if (v.chain.legacyThrough > 0) {
    const when = new Date(v.chain.chainedAt).toISOString().replace('T', ' ').slice(0, 16);
    lines.push(`  note: events #1–#${v.chain.legacyThrough} predate the chain; they are proven unchanged only since it was added (${when} UTC).`);
  }
  return lines.join('\n');
}
