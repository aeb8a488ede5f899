import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { build } from 'esbuild';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalStage, loadStageKeys, readStage, resignStage, StageError, writeStage, type StageKeys } from '../adapters/stage-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const T0 = Date.UTC(2026, 10, 23, 11, 22, 33);
const s1 = randomBytes(32).toString('base64');
const s2 = randomBytes(32).toString('base64');
const s9 = randomBytes(32).toString('base64');
const secrets = [s1, s2, s9];
const rotating = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},k1:${s1}` }); // k2 signs, k1 is grace
const old = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: `k1:${s1}` });
const foreign = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: `k9:${s9}` });

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opscockpit-stage-'));
  file = path.join(dir, 'release', 'stage.json');
});

const json = () => JSON.parse(fs.readFileSync(file, 'utf8'));
const edit = (change: (doc: Record<string, unknown>) => void) => {
  const doc = json();
  change(doc);
  fs.writeFileSync(file, JSON.stringify(doc));
};
/** A file signed by hand, as the documented format says: HMAC-SHA256 over canonicalStage. */
function signedByHand(doc: { stage: string; updated_at: number; updated_by: string; key_id: string }, secret: string) {
  const sig = createHmac('sha256', Buffer.from(secret, 'base64')).update(canonicalStage(doc)).digest('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...doc, sig }));
}
const expectNoSecret = (text: string) => {
  for (const s of secrets) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(Buffer.from(s, 'base64').toString('hex'));
  }
};

describe('stage file', () => {
  it('round-trips a signed stage and keeps secrets out of the file', () => {
    const written = writeStage(file, 'canary', 'ana', rotating, T0);
    const read = readStage(file, rotating);
    expect(read).toEqual({ ok: true, stage: 'canary', updatedAt: T0, updatedBy: 'ana', keyId: 'k2', rotated: false });
    expect(written).toEqual(read);
    const doc = json();
    expect(Object.keys(doc)).toEqual(['stage', 'updated_at', 'updated_by', 'key_id', 'sig']);
    expect(doc.sig).toMatch(/^[0-9a-f]{64}$/);
    expectNoSecret(fs.readFileSync(file, 'utf8'));

    writeStage(file, 'promoted', 'bo', rotating, T0 + 1);
    expect(readStage(file, rotating)).toMatchObject({ ok: true, stage: 'promoted', updatedBy: 'bo', updatedAt: T0 + 1 });
  });

  it('signs the documented canonical bytes, so other tools can verify the file', () => {
    writeStage(file, 'canary', 'ana', rotating, T0);
    expect(canonicalStage(json())).toBe('opscockpit.stage/v1\n["canary",' + T0 + ',"ana","k2"]');
    const expected = createHmac('sha256', Buffer.from(s2, 'base64')).update(canonicalStage(json())).digest('hex');
    expect(json().sig).toBe(expected);
  });

  it.each([
    ['the stage', (d: Record<string, unknown>) => (d.stage = 'promoted')],
    ['the operator', (d: Record<string, unknown>) => (d.updated_by = 'eve')],
    ['the time', (d: Record<string, unknown>) => (d.updated_at = T0 + 1)],
    ['the key id (to another known key)', (d: Record<string, unknown>) => (d.key_id = 'k1')],
  ])('falls back to stable when %s was changed after signing', (_what, change) => {
    writeStage(file, 'canary', 'ana', rotating, T0);
    edit(change);
    const read = readStage(file, rotating);
    expect(read).toMatchObject({ ok: false, stage: 'stable', problem: 'bad-signature' });
    expect(!read.ok && read.detail).toContain(file);
    expectNoSecret(JSON.stringify(read));
  });

  it('accepts a grace key, flags it as rotated, and re-signs with the active key', () => {
    writeStage(file, 'canary', 'ana', old, T0);
    expect(readStage(file, rotating)).toEqual({ ok: true, stage: 'canary', updatedAt: T0, updatedBy: 'ana', keyId: 'k1', rotated: true });

    const resigned = resignStage(file, rotating);
    expect(resigned).toMatchObject({ resigned: true, keyId: 'k2', rotated: false, stage: 'canary', updatedAt: T0, updatedBy: 'ana' });
    const activeOnly = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: `k2:${s2}` });
    expect(readStage(file, activeOnly)).toMatchObject({ ok: true, stage: 'canary', keyId: 'k2', rotated: false });

    const before = fs.readFileSync(file);
    expect(resignStage(file, rotating)).toMatchObject({ resigned: false, keyId: 'k2' });
    expect(fs.readFileSync(file)).toEqual(before);
  });

  it('refuses to re-sign a file that does not verify, and leaves it as it is', () => {
    writeStage(file, 'canary', 'ana', old, T0);
    edit((d) => (d.stage = 'promoted'));
    const before = fs.readFileSync(file);
    expect(() => resignStage(file, rotating)).toThrow(/cannot re-sign .*bad-signature/);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(readStage(file, rotating)).toMatchObject({ ok: false, problem: 'bad-signature' });
  });

  it('falls back to stable for a key it does not know, naming the key id only', () => {
    writeStage(file, 'promoted', 'ana', foreign, T0);
    const read = readStage(file, rotating);
    expect(read).toMatchObject({ ok: false, stage: 'stable', problem: 'unknown-key' });
    expect(!read.ok && read.detail).toMatch(/"k9".*OPSCOCKPIT_STAGE_KEYS/);
    expectNoSecret(JSON.stringify(read));
  });

  it('falls back to stable for every cut-short write', () => {
    writeStage(file, 'canary', 'ana', rotating, T0);
    const bytes = fs.readFileSync(file);
    // The last byte is the trailing newline: without it the document is still whole.
    for (let n = 0; n < bytes.length - 1; n++) {
      fs.writeFileSync(file, bytes.subarray(0, n));
      const read = readStage(file, rotating);
      expect(read, `first ${n} bytes`).toMatchObject({ ok: false, stage: 'stable', problem: 'corrupt' });
    }
  });

  it.each([
    ['garbage', 'not json at all'],
    ['an array', '["canary"]'],
    ['an unsigned file', '{"stage":"promoted","updated_at":1,"updated_by":"eve","key_id":"k2"}'],
    ['a short signature', '{"stage":"promoted","updated_at":1,"updated_by":"eve","key_id":"k2","sig":"abcd"}'],
    ['a fractional time', `{"stage":"canary","updated_at":1.5,"updated_by":"a","key_id":"k2","sig":"${'0'.repeat(64)}"}`],
    ['an unknown field', `{"stage":"canary","updated_at":1,"updated_by":"a","key_id":"k2","sig":"${'0'.repeat(64)}","force":true}`],
    ['an oversized file', `{"pad":"${'x'.repeat(10_000)}"}`],
  ])('falls back to stable for %s', (_what, text) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    expect(readStage(file, rotating)).toMatchObject({ ok: false, stage: 'stable', problem: 'corrupt' });
  });

  it('falls back to stable when the path is not a readable file', () => {
    fs.mkdirSync(file, { recursive: true });
    expect(readStage(file, rotating)).toMatchObject({ ok: false, stage: 'stable', problem: 'corrupt' });
  });

  it('reads a missing file as stable with problem "missing" (a first run)', () => {
    const read = readStage(file, rotating);
    expect(read).toMatchObject({ ok: false, stage: 'stable', problem: 'missing' });
    expect(!read.ok && read.detail).toContain(file);
  });

  it('rejects a validly signed file whose stage or operator is not acceptable', () => {
    signedByHand({ stage: 'CANARY', updated_at: T0, updated_by: 'ana', key_id: 'k2' }, s2);
    expect(readStage(file, rotating)).toMatchObject({ ok: false, stage: 'stable', problem: 'invalid-stage' });
    signedByHand({ stage: '\u001b[2Jpwn', updated_at: T0, updated_by: 'ana', key_id: 'k2' }, s2);
    const read = readStage(file, rotating);
    expect(read).toMatchObject({ ok: false, problem: 'invalid-stage' });
    expect(!read.ok && read.detail).not.toContain('\u001b'); // file values are escaped in messages
    signedByHand({ stage: 'canary', updated_at: T0, updated_by: 'ana\u001b]0;x\u0007', key_id: 'k2' }, s2);
    expect(readStage(file, rotating)).toMatchObject({ ok: false, stage: 'stable', problem: 'corrupt' });
    signedByHand({ stage: 'blue_green-2', updated_at: T0, updated_by: 'ana', key_id: 'k2' }, s2);
    expect(readStage(file, rotating)).toMatchObject({ ok: true, stage: 'blue_green-2' });
  });

  it('refuses to write a bad stage name, operator or time, and writes nothing', () => {
    expect(() => writeStage(file, 'Canary', 'ana', rotating, T0)).toThrow(StageError);
    expect(() => writeStage(file, '', 'ana', rotating, T0)).toThrow(/not a stage name/);
    expect(() => writeStage(file, 'canary', ' ', rotating, T0)).toThrow(/operator is empty/);
    expect(() => writeStage(file, 'canary', 'a\u001bb', rotating, T0)).toThrow(/control characters/);
    expect(() => writeStage(file, 'canary', 'ana', rotating, -1)).toThrow(/epoch milliseconds/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('explains a stage file it cannot write', () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    expect(() => writeStage(path.join(blocker, 'stage.json'), 'canary', 'ana', rotating, T0)).toThrow(
      /cannot write stage file .*not-a-dir\/stage\.json: /,
    );
  });
});

describe('stage file under a crash', () => {
  it('ignores a temp file left by a write that never reached its rename', () => {
    writeStage(file, 'canary', 'ana', rotating, T0);
    const content = fs.readFileSync(file, 'utf8');
    // What writeFileAtomic leaves behind when killed between write and rename.
    fs.writeFileSync(path.join(path.dirname(file), '.stage.json.4242.deadbeef.tmp'), content.replace('canary', 'promoted').slice(0, 40));
    expect(readStage(file, rotating)).toMatchObject({ ok: true, stage: 'canary' });
  });

  it('reads the old or the new stage, never a broken one, when a writer is killed with SIGKILL', async () => {
    // The child runs the real adapter, bundled to JS; the bundle lives under the project
    // so its packages resolve from node_modules.
    const bundle = path.join(root, 'node_modules', '.cache', 'opscockpit-test', `stage-file-${process.pid}.mjs`);
    await build({
      entryPoints: [path.join(root, 'adapters', 'stage-file.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: bundle,
      logLevel: 'silent',
    });
    const env: NodeJS.ProcessEnv = { ...process.env, OPSCOCKPIT_STAGE_KEYS: `k2:${s2},k1:${s1}` };
    delete env.OPSCOCKPIT_STAGE_KEY;
    const STAGES = ['canary', 'promoted', 'stable'];
    const temps = () => fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')).length;
    let interrupted = 0; // kills that landed between a temp file's creation and its rename
    let progressed = 0; // rounds in which the writer got past its first write
    let rounds = 0;
    try {
      while (rounds < 15 || (interrupted < 3 && rounds < 150)) {
        const base = rounds * 1_000_000;
        const child = spawn(process.execPath, [path.join(root, 'test/support/stage-writer.mjs'), bundle, file, String(base)], { env });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        const exited = new Promise<NodeJS.Signals | null>((res) => child.on('close', (_code, signal) => res(signal)));
        const ready = await new Promise<boolean>((res) => {
          child.stdout.on('data', (d) => String(d).includes('ready') && res(true));
          child.on('close', () => res(false));
        });
        expect(ready, stderr).toBe(true);
        const before = temps();
        await new Promise((res) => setTimeout(res, Math.random() * 40));
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        if (temps() > before) interrupted++;

        const read = readStage(file, rotating);
        expect(read, `round ${rounds}`).toMatchObject({ ok: true, keyId: 'k2' });
        if (!read.ok) break;
        // Stage and operator come from the same write i, never from two different ones.
        const i = Number(/^writer-(\d+)$/.exec(read.updatedBy)?.[1]);
        expect(i).toBeGreaterThanOrEqual(base);
        expect(read.stage).toBe(STAGES[i % 3]);
        if (i > base) progressed++;
        rounds++;
      }
    } finally {
      fs.rmSync(bundle, { force: true });
    }
    // The kills really did land mid-write, and the writer really was looping.
    expect(interrupted).toBeGreaterThan(0);
    expect(progressed).toBeGreaterThan(0);
  }, 90_000);
});

describe('stage keys', () => {
  it('takes the first of OPSCOCKPIT_STAGE_KEYS as active and accepts them all', () => {
    const keys = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: ` k2:${s2} , k1:${s1}` });
    expect(keys.active.id).toBe('k2');
    expect(keys.active.secret).toEqual(Buffer.from(s2, 'base64'));
    expect([...keys.accepted.keys()]).toEqual(['k2', 'k1']);
    expect(keys.accepted.get('k1')).toEqual(Buffer.from(s1, 'base64'));
  });

  it('reads a single OPSCOCKPIT_STAGE_KEY as key "default"', () => {
    const keys = loadStageKeys({ OPSCOCKPIT_STAGE_KEY: s1 });
    expect(keys.active.id).toBe('default');
    expect([...keys.accepted.keys()]).toEqual(['default']);
    writeStage(file, 'canary', 'ana', keys, T0);
    expect(readStage(file, keys)).toMatchObject({ ok: true, keyId: 'default' });
  });

  it('keeps secrets out of logs and JSON of the keys', () => {
    const keys: StageKeys = loadStageKeys({ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},k1:${s1}` });
    for (const shown of [inspect(keys, { depth: 5 }), JSON.stringify(keys), JSON.stringify({ ...keys.active }), String(keys.accepted)]) {
      expectNoSecret(shown);
      expect(shown).not.toMatch(/<Buffer/);
    }
    expect(inspect(keys)).toContain('k1');
  });

  it.each([
    [{}, /no stage signing key: set OPSCOCKPIT_STAGE_KEYS=.* or OPSCOCKPIT_STAGE_KEY=/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:${s2}`, OPSCOCKPIT_STAGE_KEY: s1 }, /both OPSCOCKPIT_STAGE_KEYS and OPSCOCKPIT_STAGE_KEY/],
    [{ OPSCOCKPIT_STAGE_KEY: '  ' }, /OPSCOCKPIT_STAGE_KEY is empty/],
    [{ OPSCOCKPIT_STAGE_KEY: `${s1}!` }, /OPSCOCKPIT_STAGE_KEY: the secret is not base64/],
    [{ OPSCOCKPIT_STAGE_KEY: s1.slice(0, 12) }, /OPSCOCKPIT_STAGE_KEY: the secret is 9 bytes; use at least 16/],
    [{ OPSCOCKPIT_STAGE_KEYS: '' }, /OPSCOCKPIT_STAGE_KEYS is empty/],
    [{ OPSCOCKPIT_STAGE_KEYS: s2 }, /OPSCOCKPIT_STAGE_KEYS entry 1 has no key id/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},,k1:${s1}` }, /OPSCOCKPIT_STAGE_KEYS entry 2 is empty/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},${s1}:${s9}` }, /OPSCOCKPIT_STAGE_KEYS entry 2: the key id must be/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},k1:${s1} x` }, /OPSCOCKPIT_STAGE_KEYS entry 2 \("k1"\): the secret is not base64/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:${s2},k2:${s1}` }, /OPSCOCKPIT_STAGE_KEYS entry 2: key id "k2" appears twice/],
    [{ OPSCOCKPIT_STAGE_KEYS: `k2:` }, /OPSCOCKPIT_STAGE_KEYS entry 1 \("k2"\): the secret is not base64/],
  ])('explains malformed keys without echoing a secret (%#)', (env, message) => {
    let error: unknown;
    try {
      loadStageKeys(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StageError);
    expect((error as Error).message).toMatch(message);
    expectNoSecret((error as Error).message);
    // Nothing long from the values either (ids are short; anything longer is secret material).
    for (const value of Object.values(env) as string[])
      for (const part of value.split(/[,:\s]/)) if (part.length >= 8) expect((error as Error).message).not.toContain(part);
  });
});
