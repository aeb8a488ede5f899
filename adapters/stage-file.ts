// The release stage file (seed 001: "Stage 토큰은 atomic+HMAC 유틸만 사용"). One small JSON
// file holds the current stage, signed with HMAC-SHA256 and replaced atomically. Anything
// that does not verify reads as `stable`, the safe stage, with the reason for the caller to
// record and show: a stage must never be believed just because a file says so.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { writeFileAtomic } from '../src/evidence/store.js';
import { PRIVATE } from './ledger-path.js';

export const STAGE_KEYS_VAR = 'OPSCOCKPIT_STAGE_KEYS';
export const STAGE_KEY_VAR = 'OPSCOCKPIT_STAGE_KEY';
/** Key id of the single `OPSCOCKPIT_STAGE_KEY`. */
export const DEFAULT_KEY_ID = 'default';
/** The stage every failure falls back to. */
export const SAFE_STAGE = 'stable';

const STAGE_NAME = /^[a-z0-9_-]{1,64}$/;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const SIG = /^[0-9a-f]{64}$/;
// Control and bidi characters: `updated_by` is printed in the cockpit, where they could
// move the cursor or reorder the text around it.
const UNPRINTABLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const MIN_SECRET_BYTES = 16;
const MAX_FILE_BYTES = 4096; // a real stage file is ~200 bytes; a bigger one is not ours
// Prefix of the signed bytes, so a stage key signs nothing that could pass for another format.
const DOMAIN = 'opscockpit.stage/v1\n';

/** A stage problem the operator can act on; `.message` never holds key material. */
export class StageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageError';
  }
}

export interface StageKey {
  readonly id: string;
  /** Non-enumerable, so spreading, JSON.stringify or console.log of a key leave it out. */
  readonly secret: Buffer;
}

/** Key ids only when printed or serialised; the secrets are still there for `get`. */
class KeyMap extends Map<string, Buffer> {
  toJSON() {
    return [...this.keys()];
  }
  [inspect.custom]() {
    return `StageKeys(${[...this.keys()].join(', ')})`;
  }
}

export interface StageKeys {
  /** Signs every write. */
  readonly active: StageKey;
  /** Every key a file may be signed with: the active one and the grace ones. */
  readonly accepted: ReadonlyMap<string, Buffer>;
}

export type StageProblem = 'missing' | 'corrupt' | 'bad-signature' | 'unknown-key' | 'invalid-stage';

export type StageRead =
  | { ok: true; stage: string; updatedAt: number; updatedBy: string; keyId: string; rotated: boolean }
  | { ok: false; stage: typeof SAFE_STAGE; problem: StageProblem; detail: string };

export type StageOk = Extract<StageRead, { ok: true }>;
export type StageFailure = Extract<StageRead, { ok: false }>;

/** What a stage signature covers (stage.json's fields, a PostgreSQL ledger's stage row's columns). */
export interface StageRecord {
  stage: string;
  updated_at: number;
  updated_by: string;
  key_id: string;
}

/** A stage record with its signature (64 hex digits). */
export type SignedStage = StageRecord & { sig: string };

function makeKey(id: string, secret: Buffer): StageKey {
  const key = { id } as StageKey;
  Object.defineProperty(key, 'secret', { value: secret, enumerable: false });
  return Object.freeze(key);
}

function parseSecret(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed)) throw new StageError(`${where}: the secret is not base64`);
  const secret = Buffer.from(trimmed, 'base64'); // Node's base64 also reads the URL-safe alphabet
  if (secret.length < MIN_SECRET_BYTES)
    throw new StageError(`${where}: the secret is ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} (e.g. openssl rand -base64 32)`);
  return secret;
}

/**
 * Stage keys from the environment: `OPSCOCKPIT_STAGE_KEYS="k2:b64,k1:b64"` (the first one
 * signs, the rest are grace keys still accepted while files are re-signed) or a single
 * `OPSCOCKPIT_STAGE_KEY` (id "default"). Errors name the variable and entry, never a value.
 */
export function loadStageKeys(env: NodeJS.ProcessEnv = process.env): StageKeys {
  const many = env[STAGE_KEYS_VAR];
  const one = env[STAGE_KEY_VAR];
  // Both set is ambiguous, and guessing which one signs is how keys drift apart.
  if (many !== undefined && one !== undefined)
    throw new StageError(`both ${STAGE_KEYS_VAR} and ${STAGE_KEY_VAR} are set; keep only one (${STAGE_KEYS_VAR} for rotation)`);
  if (one !== undefined) {
    if (one.trim() === '') throw new StageError(`${STAGE_KEY_VAR} is empty; set it to a base64 secret`);
    const key = makeKey(DEFAULT_KEY_ID, parseSecret(one, STAGE_KEY_VAR));
    return Object.freeze({ active: key, accepted: new KeyMap([[key.id, key.secret]]) });
  }
  if (many === undefined)
    throw new StageError(`no stage signing key: set ${STAGE_KEYS_VAR}="id:base64secret,…" (first one signs) or ${STAGE_KEY_VAR}="base64secret"`);
  if (many.trim() === '') throw new StageError(`${STAGE_KEYS_VAR} is empty; expected "id:base64secret,…"`);
  const accepted = new KeyMap();
  many.split(',').forEach((entry, i) => {
    const where = `${STAGE_KEYS_VAR} entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (entry.trim() === '') throw new StageError(`${where} is empty (a stray comma?)`);
    if (colon < 0) throw new StageError(`${where} has no key id; expected "id:base64secret"`);
    const id = entry.slice(0, colon).trim();
    // The id is echoed below, so it is checked first: a pasted secret must not end up in a message.
    if (!KEY_ID.test(id)) throw new StageError(`${where}: the key id must be 1-64 letters, digits, ".", "_" or "-"`);
    if (accepted.has(id)) throw new StageError(`${where}: key id "${id}" appears twice`);
    accepted.set(id, parseSecret(entry.slice(colon + 1), `${where} ("${id}")`));
  });
  const [id, secret] = [...accepted][0];
  return Object.freeze({ active: makeKey(id, secret), accepted });
}

/** The signed bytes: a JSON array has one spelling per value, so nothing can be reordered or smuggled. */
export function canonicalStage(r: StageRecord): string {
  return DOMAIN + JSON.stringify([r.stage, r.updated_at, r.updated_by, r.key_id]);
}

function sign(r: StageRecord, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(canonicalStage(r)).digest();
}

function checkOperator(operator: string): string | undefined {
  if (operator.trim() === '') return 'the operator is empty';
  if (operator.length > 128) return 'the operator is longer than 128 characters';
  if (UNPRINTABLE.test(operator)) return 'the operator holds control characters';
  return undefined;
}

/** A file value for a message: quoted, escaped and short, since the file may be hostile. */
const quote = (v: unknown) => JSON.stringify(String(v).slice(0, 40)).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');

/** `stage` moved by `operator` at `now`, signed with the active key; a StageError when it cannot be. */
export function signedStage(stage: string, operator: string, keys: StageKeys, now: number): SignedStage {
  if (!STAGE_NAME.test(stage)) throw new StageError(`stage ${quote(stage)} is not a stage name: use 1-64 of a-z, 0-9, "_" or "-"`);
  const bad = checkOperator(operator);
  if (bad) throw new StageError(`cannot write stage ${stage}: ${bad}`);
  if (!Number.isSafeInteger(now) || now < 0) throw new StageError(`cannot write stage ${stage}: the time ${now} is not epoch milliseconds`);
  const record: StageRecord = { stage, updated_at: now, updated_by: operator, key_id: keys.active.id };
  return { ...record, sig: sign(record, keys.active.secret).toString('hex') };
}

/** Sign `stage` with the active key and replace the file at `path` atomically. */
export function writeStage(path: string, stage: string, operator: string, keys: StageKeys, now: number): StageOk {
  writeStageFile(path, signedStage(stage, operator, keys, now));
  return { ok: true, stage, updatedAt: now, updatedBy: operator, keyId: keys.active.id, rotated: false };
}

/** A signed record as the stage file at `path`, replaced atomically (ledger migrate copies one as it is). */
export function writeStageFile(path: string, file: SignedStage): void {
  try {
    // Beside the ledger, as private as it: the owner reads and writes it, nobody else.
    writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', PRIVATE);
  } catch (err) {
    const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    throw new StageError(`cannot write stage file ${path}: ${reason}`, { cause: err });
  }
}

export const stageFailure = (problem: StageProblem, detail: string): StageFailure => ({ ok: false, stage: SAFE_STAGE, problem, detail });

function readBytes(path: string): Buffer | StageFailure {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    // No file yet is the normal first run: the release has never left stable.
    if (code === 'ENOENT') return stageFailure('missing', `no stage file at ${path} yet; reading it as ${SAFE_STAGE}`);
    return stageFailure('corrupt', `cannot open stage file ${path}: ${code ?? (err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) return stageFailure('corrupt', `stage file ${path} is ${size} bytes, too big to be a stage file`);
    return readFileSync(fd);
  } catch (err) {
    return stageFailure('corrupt', `cannot read stage file ${path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

const FIELDS = ['stage', 'updated_at', 'updated_by', 'key_id', 'sig'];

function parseRecord(path: string, bytes: Buffer): SignedStage | StageFailure {
  const corrupt = (why: string) => stageFailure('corrupt', `stage file ${path} ${why}`);
  if (bytes.length === 0) return corrupt('is empty (an interrupted write?)');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return corrupt('is not valid JSON (cut short or edited by hand?)');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return corrupt('is not a JSON object');
  const d = doc as Record<string, unknown>;
  // Every field that means something is signed, so a field we do not know is not ours.
  const extra = Object.keys(d).find((k) => !FIELDS.includes(k));
  if (extra !== undefined) return corrupt(`has an unexpected field ${quote(extra)}`);
  if (typeof d.stage !== 'string') return corrupt('has no "stage" text');
  if (typeof d.updated_at !== 'number' || !Number.isSafeInteger(d.updated_at) || d.updated_at < 0)
    return corrupt('has no "updated_at" epoch milliseconds');
  if (typeof d.updated_by !== 'string') return corrupt('has no "updated_by" text');
  if (typeof d.key_id !== 'string' || !KEY_ID.test(d.key_id)) return corrupt('has no valid "key_id"');
  if (typeof d.sig !== 'string' || !SIG.test(d.sig)) return corrupt('has no "sig" (64 hex digits)');
  return { stage: d.stage, updated_at: d.updated_at, updated_by: d.updated_by, key_id: d.key_id, sig: d.sig };
}

/**
 * The stage at `path`, verified. Never throws: a missing file is `stable` (problem
 * 'missing', the first run); a corrupt, unsigned, tampered or foreign-key file is `stable`
 * with the problem, for the caller to record in the ledger and show the operator.
 */
export function readStage(path: string, keys: StageKeys): StageRead {
  const r = readStageFile(path);
  if ('ok' in r) return r;
  return checkSignedStage(`stage file ${path}`, r, keys);
}

/** The stage file's signed record, its signature not checked (ledger migrate copies it as it is); else why not. */
export function readStageFile(path: string): SignedStage | StageFailure {
  const bytes = readBytes(path);
  if (!Buffer.isBuffer(bytes)) return bytes;
  return parseRecord(path, bytes);
}

/**
 * A signed stage record read from `where` (for messages: "stage file PATH", "stage row #N of
 * LEDGER"): its stage when the signature holds with an accepted key, else stable with why.
 */
export function checkSignedStage(where: string, r: SignedStage, keys: StageKeys): StageRead {
  if (!KEY_ID.test(r.key_id)) return stageFailure('corrupt', `${where} has no valid "key_id"`);
  const secret = keys.accepted.get(r.key_id);
  if (!secret)
    return stageFailure('unknown-key', `${where} is signed with key "${r.key_id}", which is not in ${STAGE_KEYS_VAR}/${STAGE_KEY_VAR}`);
  if (!SIG.test(r.sig) || !timingSafeEqual(sign(r, secret), Buffer.from(r.sig, 'hex')))
    return stageFailure('bad-signature', `${where}: the signature does not match its contents (key "${r.key_id}"); it was changed after signing`);
  // Checked after the signature: a tampered file is reported as tampered, not as a bad name.
  if (!STAGE_NAME.test(r.stage)) return stageFailure('invalid-stage', `${where} names stage ${quote(r.stage)}, which is not a stage name`);
  const bad = checkOperator(r.updated_by);
  if (bad) return stageFailure('corrupt', `${where}: ${bad}`);
  return { ok: true, stage: r.stage, updatedAt: r.updated_at, updatedBy: r.updated_by, keyId: r.key_id, rotated: r.key_id !== keys.active.id };
}

/**
 * Key rotation: re-sign a file that verifies (with any accepted key) with the active key,
 * keeping its stage, time and operator. A file that does not verify is refused: re-signing
 * it would launder a tampered stage. Writers that race this may lose to it; rotate between
 * cutovers, not during one.
 */
export function resignStage(path: string, keys: StageKeys): StageOk & { resigned: boolean } {
  const current = readStage(path, keys);
  if (!current.ok) throw new StageError(`cannot re-sign ${path}: ${current.problem}: ${current.detail}`);
  if (current.keyId === keys.active.id) return { ...current, resigned: false };
  return { ...writeStage(path, current.stage, current.updatedBy, keys, current.updatedAt), resigned: true };
}
