// The ledger's hash chain: every event row carries the hash of the row before it (in id
// order, over the whole events table) and the hash of its own content, so an edited,
// deleted, inserted or reordered row shows as a break when the chain is walked again.
//
// What one hash covers, in this order (UTF-8; lengths are UTF-8 byte counts):
//   id US seq US at US prev_hash US                 integers in decimal, US = \x1f
//   len(run_id) ':' run_id  len(kind) ':' kind
//   ('-' when step is NULL | len(step) ':' step)  len(operator) ':' operator
//   payload                                         the stored JSON text, byte for byte
// Every field before the payload delimits itself, so the payload needs no length and is
// hashed as stored: nothing is parsed or re-serialised.
//
// Plain chains use SHA-256 over that text. With OPSCOCKPIT_LEDGER_KEY the hash is
// HMAC-SHA256 keyed with hex(SHA-256(key)), so only key holders can write a chain that
// verifies; the key itself is never stored, only a key check value (see keyCheck).
import { createHmac, hash as digest } from 'node:crypto';

export type ChainAlgorithm = 'sha256' | 'hmac-sha256';

/** prev_hash of the first event. */
export const GENESIS = '0'.repeat(64);

/** One event row as the chain sees it (column order of CHAIN_COLUMNS). */
export type ChainRow = [
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHash: string,
];

export const CHAIN_COLUMNS = 'id, run_id, seq, at, kind, step, operator, payload, prev_hash';

const len = (s: string) => Buffer.byteLength(s, 'utf8');

export function chainText(
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHash: string,
): string {
  const stepPart = step === null ? '-' : `${len(step)}:${step}`;
  return `${id}\x1f${seq}\x1f${at}\x1f${prevHash}\x1f${len(runId)}:${runId}${len(kind)}:${kind}${stepPart}${len(operator)}:${operator}${payload}`;
}

export type RowHasher = (
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHash: string,
) => string;

/** The ledger key as used for HMAC: 64 ASCII hex characters, one SHA-256 block. */
const hmacKey = (key: string) => digest('sha256', key, 'hex');

export function rowHasher(key?: string): RowHasher {
  // Parameters spelled out: a rest/spread call allocates per row, a million times in verify.
  if (key === undefined)
    return (id, runId, seq, at, kind, step, operator, payload, prevHash) =>
      digest('sha256', chainText(id, runId, seq, at, kind, step, operator, payload, prevHash), 'hex');
  // HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). K is ASCII hex, so K ^ ipad is ASCII
  // too and can lead the message string: two one-shot hashes per row instead of an Hmac
  // object per row (about half the time). A test holds it equal to createHmac.
  const k = hmacKey(key);
  const pad = (x: number) => Array.from(k, (c) => String.fromCharCode(c.charCodeAt(0) ^ x)).join('');
  const inner = pad(0x36);
  const outer = Buffer.alloc(96);
  outer.write(pad(0x5c), 0, 'latin1');
  return (id, runId, seq, at, kind, step, operator, payload, prevHash) => {
    const text = chainText(id, runId, seq, at, kind, step, operator, payload, prevHash);
    // 'binary' is latin1: the 32 digest bytes as 32 characters, written back byte for byte.
    outer.write(digest('sha256', inner + text, 'binary'), 64, 'latin1');
    return digest('sha256', outer, 'hex');
  };
}

/** The reference HMAC, for tests and for anyone checking a ledger with other tools. */
export function referenceHmac(key: string, text: string): string {
  return createHmac('sha256', hmacKey(key)).update(text).digest('hex');
}

/**
 * Stored with a keyed chain to tell a wrong key from tampering. It lets nobody forge a row:
 * anyone holding the ledger can already test a guessed key against any event's hash.
 */
export function keyCheck(key: string): string {
  return referenceHmac(key, 'opscockpit ledger key check v1');
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * SQLite would store a lone surrogate as bytes that read back differently, and the hash
 * would no longer match; store (and hash) U+FFFD in its place instead.
 */
export function wellFormed(s: string): string {
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\uFFFD') : s;
}
