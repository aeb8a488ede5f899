// `opscockpit ledger init`: set a ledger up. On PostgreSQL, as the login that is to own it:
// the schema (versioned migrations) and the group role opscockpit_operator; idempotent, so it
// also upgrades. A SQLite ledger file is created (and upgraded) the same way on first use.
import { chainKeyFrom } from '../../../adapters/ledger-key.js';
import { chosenLedgerPath, withoutPassword } from '../../../adapters/ledger-path.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../main.js';
import { postgresFromEnv } from './ledger-verify.js';

export const initHelp = {
  usage: 'opscockpit ledger init [--ledger PATH|postgres://OWNER@HOST/DB]',
  summary: 'Set a ledger up: on PostgreSQL the schema and the operator role; idempotent.',
};

export async function initCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('ledger', args, { ledger: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(`Usage: ${initHelp.usage}\n\n${initHelp.summary}\n`);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'ledger');
  const location = (values.ledger as string | undefined) ?? postgresFromEnv(io.env);
  const key = chainKeyFrom(io.env);
  if (location && /^postgres(ql)?:\/\//i.test(location)) return initPostgres(location, key, io);
  const { openLedger, MIGRATIONS } = await import('../../../adapters/ledger.js');
  const path = chosenLedgerPath({ ledger: location });
  openLedger(path, { chainKey: key }).close();
  io.stdout.write(`ledger ${path}: ready (SQLite, schema v${MIGRATIONS.length})\n`);
  return 0;
}

async function initPostgres(url: string, key: string | undefined, io: Io): Promise<number> {
  const { pgClient, pgTarget, unreachable, isConnectionError } = await import('../../../adapters/pg-connect.js');
  const { initSchema, OPERATOR_ROLE, PG_MIGRATIONS } = await import('../../../adapters/pg-schema.js');
  const { LedgerError } = await import('../../../adapters/ledger-errors.js');
  const target = pgTarget(url);
  const client = pgClient(url);
  client.on('error', () => {});
  try {
    await client.connect();
    const applied = await initSchema(client, key);
    const now = applied.length ? `applied now: v${applied.join(', v')}` : 'already current';
    io.stdout.write(
      `ledger ${target.location}: ready (PostgreSQL, schema v${PG_MIGRATIONS.length}, ${now})\n` +
        `  operators are logins in the role ${OPERATOR_ROLE}: CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE ${OPERATOR_ROLE};\n` +
        `  or, for an existing login: GRANT ${OPERATOR_ROLE} TO alice;\n`,
    );
    return 0;
  } catch (err) {
    if (isConnectionError(err)) throw unreachable(target, err);
    const code = (err as { code?: string }).code;
    if (code === '42501')
      throw new LedgerError(`cannot set up the ledger ${withoutPassword(target.location)} as ${target.user}: ${(err as Error).message}. Run ledger init as the login that is to own the ledger (it needs CREATE on the database, and CREATEROLE the first time, to make the role ${OPERATOR_ROLE}).`);
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}
