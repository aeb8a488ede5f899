// Appends in bursts, for the group commit tests (test/ledger-group-commit.test.ts): processes
// of their own that each ask for many appends at once on one store and report, in the order
// asked, the seq each got; and a trigger that fails the transaction of any batch holding a
// "poison" note, on either backend.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { nodeBundle } from './node-bundle.js';
import Database from 'better-sqlite3';
import pg from 'pg';

const root = join(import.meta.dirname, '..', '..');
let bundle: Promise<string> | undefined;

/** Both stores bundled for the burst processes (plain node cannot import TypeScript). */
function storesBundle(): Promise<string> {
  bundle ??= nodeBundle({ contents: "export { openSqliteStore } from './adapters/sqlite-store.ts';\nexport { openPgLedger } from './adapters/pg-ledger.ts';" }, 'ledger-stores', ['better-sqlite3', 'pg']);
  return bundle;
}

// Ready, then on "go": `rounds` rounds of `count` appends asked for at once, each awaited on its
// own; prints the seqs in the order asked.
const BURST = `
const [bundle, where, runId, count, rounds, name] = process.argv.slice(1);
const S = await import(bundle);
const store = where.startsWith('postgres://') ? await S.openPgLedger(where, { poolSize: 2 }) : S.openSqliteStore(where);
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
const seqs = [];
for (let round = 0; round < Number(rounds); round++) {
  const asked = Array.from({ length: Number(count) }, (_, i) => {
    const note = name + ' ' + (round * Number(count) + i);
    return store.append(runId, name, { kind: 'step.note', phase: 'postflight', step: 's', note }, Date.now(), { durable: true, idempotencyKey: note });
  });
  for (const ev of await Promise.all(asked)) seqs.push(ev.seq);
}
await store.close();
process.stdout.write(JSON.stringify(seqs) + '\\n');
process.exit(0);`;

/**
 * `processes` processes on the ledger at `where` (a file, or a postgres:// URL), started
 * together; each appends rounds × count notes "NAME i" to `runId`. The seqs each got, in the
 * order it asked for them, by process name (p1, p2, …).
 */
export async function burstsFromProcesses(where: string, runId: string, processes: number, count: number, rounds: number): Promise<Record<string, number[]>> {
  const b = await storesBundle();
  const children: ChildProcess[] = [];
  const results = Array.from({ length: processes }, (_, p) => {
    const name = `p${p + 1}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', BURST, b, where, runId, String(count), String(rounds), name], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const ready = new Promise<void>((ok) => child.stdout!.on('data', () => out.startsWith('ready\n') && ok()));
    const done = new Promise<[string, number[]]>((ok, fail) =>
      child.on('close', (code) => (code === 0 ? ok([name, JSON.parse(out.slice('ready\n'.length)) as number[]]) : fail(new Error(`${name} exited ${code}: ${err}`)))),
    );
    return { ready, done };
  });
  await Promise.race([Promise.all(results.map((r) => r.ready)), Promise.all(results.map((r) => r.done))]);
  for (const c of children) c.stdin!.end('go\n');
  return Object.fromEntries(await Promise.all(results.map((r) => r.done)));
}

/**
 * A trigger that fails the insert of any event whose payload holds "poison" (as the ledger's
 * owner on PostgreSQL, `ownerUrl`; on the file itself for SQLite). Resolves to its removal.
 */
export async function poisonTrigger(where: string, ownerUrl?: string): Promise<() => Promise<void>> {
  if (!ownerUrl) {
    const db = new Database(where);
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.payload LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`);
    db.close();
    return async () => {
      const d = new Database(where);
      d.exec('DROP TRIGGER poison');
      d.close();
    };
  }
  const sql = async (text: string) => {
    const c = new pg.Client({ connectionString: ownerUrl });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await sql(`CREATE FUNCTION opscockpit.poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.payload LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER poison BEFORE INSERT ON opscockpit.events FOR EACH ROW EXECUTE FUNCTION opscockpit.poison();`);
  return () => sql('DROP TRIGGER poison ON opscockpit.events; DROP FUNCTION opscockpit.poison();');
}
