// `ledger verify` against forgeries by someone who can write the files: a cut tail with
// sqlite_sequence rewound, a keyed ledger rewritten as an unkeyed chain or with another key, an
// edited run row, an empty or foreign file, a damaged database; and verify and list work on
// read-only media.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-forgery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'forgery-test-key';
const runbook = join(dir, 'rb.yaml');
const sql = (file: string, text: string) => execFileSync('sqlite3', [file, text]);
const verify = (file: string, key?: string) => cli(['ledger', 'verify', '--ledger', file], { env: key ? { OPSCOCKPIT_LEDGER_KEY: key } : {} });

/** A ledger of three checked runs (unkeyed, or keyed), with its head file. */
async function ledger(name: string, key?: string): Promise<string> {
  const file = join(dir, name);
  for (let i = 0; i < 3; i++) expect((await cli(['check', runbook, '--ledger', file], { env: key ? { OPSCOCKPIT_LEDGER_KEY: key } : {} })).code).toBe(0);
  return file;
}

/** A copy of a ledger and its head file, to forge. */
function copy(file: string, name: string): string {
  const to = join(dir, name);
  copyFileSync(file, to);
  if (existsSync(`${file}.head`)) copyFileSync(`${file}.head`, `${to}.head`);
  return to;
}

beforeAll(() => {
  writeFileSync(runbook, 'version: 1\nname: forgery\nrelease: { branch: main }\nchecklists:\n  preflight:\n    - { id: a, check: { script: { command: /bin/true } } }\n');
});

describe('forgeries verify used to pass', () => {
  it('the last events cut off and sqlite_sequence rewound: missing, by the head file', async () => {
    const file = copy(await ledger('cut.db'), 'cut-forged.db');
    expect((await verify(file)).code).toBe(0);
    sql(file, "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id > (SELECT MAX(id) - 2 FROM events); UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM events) WHERE name = 'events';");
    const r = await verify(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/events #\d+–#\d+ are missing: the head file beside the ledger says the chain reached event #\d+/);
  });

  it('a keyed ledger rewritten as an unkeyed chain, or with another key, fails with the key set', async () => {
    const keyed = await ledger('keyed.db', KEY);
    expect((await verify(keyed, KEY)).code).toBe(0);
    const unkeyed = await ledger('unkeyed.db');
    const asUnkeyed = await verify(unkeyed, KEY);
    expect(asUnkeyed.code).toBe(2);
    expect(asUnkeyed.stdout).toContain("chain is plain SHA-256 (unkeyed)");
    const other = await ledger('other-key.db', 'another-key');
    const r = await verify(other, KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('sealed with another key');
  });

  it("a run's branch, name or start time edited: the run is named", async () => {
    const base = await ledger('runs.db');
    for (const [field, value] of [['branch', "'release-evil'"], ['name', "'renamed'"], ['started_at', 'started_at - 3600000']]) {
      const file = copy(base, `runs-${field}.db`);
      sql(file, `UPDATE runs SET ${field} = ${value} WHERE rowid = (SELECT MAX(rowid) FROM runs)`);
      const r = await verify(file);
      expect(r.code, field).toBe(2);
      expect(r.stdout, field).toMatch(/run r-[\w-]+: its row \(runbook, name, branch, commit, backlog, type or start time\) was edited/);
    }
    const unsealed = copy(base, 'runs-unsealed.db');
    sql(unsealed, 'UPDATE runs SET seal = NULL');
    expect((await verify(unsealed)).stdout).toMatch(/has no seal: its row was edited, or added/);
    // Moving the row to an old rowid and dropping its seal does not make it a legacy run.
    const moved = copy(base, 'runs-moved.db');
    sql(moved, "UPDATE runs SET rowid = -1, seal = NULL, branch = 'release-x' WHERE rowid = (SELECT MAX(rowid) FROM runs)");
    const m = await verify(moved);
    expect(m.code).toBe(2);
    expect(m.stdout).toMatch(/has no seal/);
    // A run that its events never ended, marked as ended in its row.
    const open = copy(base, 'runs-open.db');
    sql(open, "DROP TRIGGER IF EXISTS events_no_delete; DELETE FROM events WHERE kind = 'run.completed' AND id = (SELECT MAX(id) FROM events WHERE kind = 'run.completed')");
    const o = await verify(open);
    expect(o.code).toBe(2);
  });

  it('a keyed ledger without its head file fails; an unkeyed one says what cannot be ruled out', async () => {
    const keyed = copy(await ledger('keyed-head.db', KEY), 'keyed-nohead.db');
    rmSync(`${keyed}.head`);
    const r = await verify(keyed, KEY);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no head file');
    const plain = copy(await ledger('plain-head.db'), 'plain-nohead.db');
    rmSync(`${plain}.head`);
    const p = await verify(plain);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/note: no head file .*events cut off the end cannot be ruled out/);
  });
});

describe('not a ledger', () => {
  it('an empty file, a text file and a damaged database are "not a ledger", exit 2, with no trace', async () => {
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const text = join(dir, 'text.db');
    writeFileSync(text, 'hello\n');
    const damaged = copy(await ledger('damaged-src.db'), 'damaged.db');
    sql(damaged, 'PRAGMA wal_checkpoint(TRUNCATE);');
    const bytes = readFileSync(damaged);
    bytes.fill(0x5a, 4096, bytes.length); // every page after the first
    writeFileSync(damaged, bytes);
    for (const file of [empty, text, damaged]) {
      const r = await verify(file);
      expect(r.code, file).toBe(2);
      expect(r.stderr, file).toMatch(/is not (an|an intact) opscockpit ledger/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stdout).not.toContain('intact —');
    }
  });
});

describe('read-only media', () => {
  it('verify and list read a ledger on a read-only mount', async () => {
    const src = join(dir, 'ro-src');
    mkdirSync(src);
    const file = join(src, 'ledger.db');
    for (let i = 0; i < 2; i++) await cli(['check', runbook, '--ledger', file]);
    const mnt = join(dir, 'ro');
    mkdirSync(mnt);
    // A mount namespace of its own (root, or an unprivileged user namespace): the folder
    // mounted read-only, and the real binary run inside it.
    const script = `mount --bind ${src} ${mnt} && mount -o remount,bind,ro ${mnt} && touch ${mnt}/probe 2>/dev/null && echo WRITABLE; node ${bin} ledger verify --ledger ${mnt}/ledger.db; echo "verify=$?"; node ${bin} ledger --ledger ${mnt}/ledger.db; echo "list=$?"`;
    const r = spawnSync('unshare', ['-rm', 'bash', '--norc', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.error).toBeUndefined();
    expect(r.stdout, r.stderr).not.toContain('WRITABLE');
    expect(r.stdout, r.stderr).toMatch(/intact — \d+ events/);
    expect(r.stdout).toContain('verify=0');
    expect(r.stdout).toContain('2 most recent runs');
    expect(r.stdout).toContain('list=0');
  });
});

describe('a damaged ledger under check', () => {
  it('check refuses it with one clear line (exit 1), not an internal error, and writes nothing', async () => {
    const file = copy(await ledger('check-damaged-src.db'), 'check-damaged.db');
    sql(file, 'PRAGMA wal_checkpoint(TRUNCATE);');
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 8192, bytes.length);
    writeFileSync(file, bytes);
    const r = await cli(['check', runbook, '--ledger', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the ledger file is damaged');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readFileSync(file).subarray(8192).every((b) => b === 0x5a)).toBe(true);
  });
});

describe('writers refuse a ledger they cannot vouch for', () => {
  it('a command without the key writes nothing into a keyed ledger (no run row either)', async () => {
    const file = await ledger('keyed-nokey.db', KEY);
    const r = await cli(['check', runbook, '--ledger', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sealed with a key');
    expect((await verify(file, KEY)).code).toBe(0);
  });

  it('after a cut tail, the key holder’s next command is refused, so the cut stays visible', async () => {
    const file = copy(await ledger('cut-keyed.db', KEY), 'cut-keyed-forged.db');
    sql(file, "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id > (SELECT MAX(id) - 2 FROM events); UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM events) WHERE name = 'events';");
    for (let i = 0; i < 3; i++) {
      const r = await cli(['check', runbook, '--ledger', file], { env: { OPSCOCKPIT_LEDGER_KEY: KEY } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('events were removed or rewritten');
    }
    const v = await verify(file, KEY);
    expect(v.code).toBe(2);
    expect(v.stdout).toMatch(/are missing: the head file/);
  });
});
