// `opscockpit ledger migrate --from PATH|postgres://… --to postgres://…|PATH`: a whole ledger to
// another place, SQLite and PostgreSQL either way (adapters/ledger-move.ts), then both sides
// verified and their event counts and head hashes printed side by side.
import { chainKeyFrom } from '../../../adapters/ledger-key.js';
import { isPostgresLocation, withoutPassword } from '../../../adapters/ledger-path.js';
import type { SideSummary } from '../../../adapters/ledger-move.js';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../main.js';
import { formatVerification } from './ledger-verify.js';

export const migrateHelp = {
  usage: 'opscockpit ledger migrate --from PATH|postgres://… --to postgres://…|PATH',
  summary: 'Move a whole ledger between SQLite and PostgreSQL: runs, events with their chain, the stage.',
  details: `Copies the runs with their seals, every event with its hash chain as recorded (ids, hashes,
operators) and the release stage; run leases are not copied (a moved ledger has no live owner).
The source must verify (a keyed chain needs OPSCOCKPIT_LEDGER_KEY, and stays keyed) and the
target must be empty: a new file, or a database set up with "ledger init" and nothing in it.
On PostgreSQL the target is written as its owner (the login that ran ledger init): only the
owner may keep the operators as recorded instead of stamping its own login.
What was written is verified before it is kept; a migration that fails leaves the target empty.
Exit codes: 0 moved, 2 the source does not verify or the copy did not (nothing kept), 1 error.`,
};

const where = (location: string) => (isPostgresLocation(location) ? withoutPassword(location) : resolve(location));

export async function migrateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('ledger', args, { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(`Usage: ${migrateHelp.usage}\n\n${migrateHelp.summary}\n\n${migrateHelp.details}\n`);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const from = values.from as string | undefined;
  const to = values.to as string | undefined;
  if (!from || !to) throw new UsageError(`ledger migrate needs --from and --to (${migrateHelp.usage.replace('opscockpit ledger migrate ', '')})`, 'ledger');
  if (where(from) === where(to)) throw new UsageError('--from and --to are the same ledger', 'ledger');
  const { moveLedger } = await import('../../../adapters/ledger-move.js');
  const r = await moveLedger(from, to, chainKeyFrom(io.env));
  if (!r.ok) {
    const head = r.side === 'source' ? 'the source does not verify: nothing was migrated' : `what was written did not verify${r.why ? ` (${r.why})` : ''}: it was dropped, the target is as it was`;
    io.stderr.write(`opscockpit: ledger migrate: ${head}\n${formatVerification(r.location, r.verification)}\n`);
    return 2;
  }
  const chain = r.verification.chain.algorithm === 'hmac-sha256' ? 'HMAC-SHA256 (keyed)' : 'SHA-256';
  const lines = [
    `migrated ${r.from.location} → ${r.to.location}`,
    side('from', r.from),
    side('to  ', r.to),
    `  both verified intact (${chain} chain); event counts and head hashes agree`,
  ];
  if (r.stageRows) lines.push(`  stage: ${r.stageRows} signed record${r.stageRows === 1 ? '' : 's'} copied as signed`);
  if (r.sealed) lines.push(`  ${r.sealed} run row${r.sealed === 1 ? '' : 's'} written before run seals were sealed now`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  lines.push('  run leases are not copied: the moved ledger has no live owner; open runs resume from it');
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function side(label: string, s: SideSummary): string {
  return `  ${label} ${s.kind.padEnd(10)} ${s.runs.toLocaleString('en')} runs, ${s.events.toLocaleString('en')} events, head #${s.head.id} ${s.head.hash}`;
}
