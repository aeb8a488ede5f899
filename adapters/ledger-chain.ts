// The ledger's hash chain: every event row's hash covers the hash of the row before it (in
// id order, over the whole events table) and its own content, so an edited, deleted,
// inserted or reordered row shows as a break when the chain is walked again. The hash is
// stored as a 32-byte BLOB (the raw SHA-256 / HMAC-SHA256 output). Rows written before the
// implicitPrevHash migration (ledger-schema.ts) also store the previous row's hash again, in
// prev_hash; later rows leave it empty: it is the previous row's own hash column.
//
// What one hash covers, in this order (a binary layout: nothing has to be turned into text
// per row, which measured about a third of the hashing time when it was):
//   prev_hash                                       the previous row's hash, 32 raw bytes (GENESIS first)
//   id, seq, at                                     each a float64, big-endian (exact for integers)
//   run_id, operator, kind                          each a uint32 big-endian UTF-8 byte count, then the UTF-8
//   step                                            the same, or 0xFFFFFFFF alone when it is NULL
//   payload                                         the stored JSON text, UTF-8, byte for byte (the rest)
// Every field before the payload delimits itself, so the payload needs no length and is
// hashed as stored: nothing is parsed or re-serialised. chainBytes() builds exactly this.
//
// Plain chains use SHA-256 over those bytes. With OPSCOCKPIT_LEDGER_KEY the hash is
// HMAC-SHA256 keyed with hex(SHA-256(key)), so only key holders can write a chain that
// verifies; the key itself is never stored, only a key check value (see keyCheck).
//
// ledger-hasher.ts hashes these bytes fast, a row per call, for appends and for verify; the
// functions here are the reference it is held to (test/adapters-ledger.test.ts).
import { createHmac, hash as digest } from 'node:crypto';

export type ChainAlgorithm = 'sha256' | 'hmac-sha256';

/** Bytes in a stored prev_hash or hash. */
export const HASH_BYTES = 32;

/** prev_hash of the first event: 32 zero bytes. Read only. */
export const GENESIS: Buffer = Buffer.alloc(HASH_BYTES);

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
  prevHash: Buffer,
];

export const CHAIN_COLUMNS = 'id, run_id, seq, at, kind, step, operator, payload, prev_hash';

const NULL_STEP = 0xffffffff;

/** `uint32 length` + UTF-8 of one string field. */
export function field(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const f = Buffer.allocUnsafe(4 + bytes.length);
  f.writeUInt32BE(bytes.length, 0);
  bytes.copy(f, 4);
  return f;
}

/** The exact bytes one row's hash covers: the reference for tests and other tools. */
export function chainBytes(
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHash: Uint8Array,
): Buffer {
  const numbers = Buffer.alloc(24);
  numbers.writeDoubleBE(id, 0);
  numbers.writeDoubleBE(seq, 8);
  numbers.writeDoubleBE(at, 16);
  const noStep = Buffer.alloc(4);
  noStep.writeUInt32BE(NULL_STEP, 0);
  return Buffer.concat([prevHash, numbers, field(runId), field(operator), field(kind), step === null ? noStep : field(step), Buffer.from(payload, 'utf8')]);
}

/** The ledger key as used for HMAC: 64 ASCII hex characters, one SHA-256 block. */
export const hmacKey = (key: string) => digest('sha256', key, 'hex');

/**
 * A row read back whose columns have the types the chain hashes. An edited ledger may hold
 * anything (a BLOB payload, a text seq): such a row cannot hash to its stored hash.
 */
export function rowOfTypes(id: unknown, runId: unknown, seq: unknown, at: unknown, kind: unknown, step: unknown, operator: unknown, payload: unknown): boolean {
  return (
    typeof id === 'number' &&
    typeof seq === 'number' &&
    typeof at === 'number' &&
    typeof runId === 'string' &&
    typeof kind === 'string' &&
    typeof operator === 'string' &&
    typeof payload === 'string' &&
    (step === null || typeof step === 'string')
  );
}

/** The reference HMAC, for tests and for anyone checking a ledger with other tools. */
export function referenceHmac(key: string, bytes: Uint8Array | string): Buffer {
  return createHmac('sha256', hmacKey(key)).update(bytes).digest();
}

/**
 * Stored with a keyed chain to tell a wrong key from tampering. It lets nobody forge a row:
 * anyone holding the ledger can already test a guessed key against any event's hash.
 */
export function keyCheck(key: string): string {
  return referenceHmac(key, 'opscockpit ledger key check v1').toString('hex');
}

// String.prototype.isWellFormed (ES2024, in Node 20) is missing from this project's TypeScript
// lib; it is several times faster than a regular expression looking for surrogates.
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * SQLite would store a lone surrogate as bytes that read back differently, and the hash
 * would no longer match; store (and hash) U+FFFD in its place instead.
 */
export function wellFormed(s: string): string {
  return isWellFormed.call(s) ? s : s.replace(LONE_SURROGATE, '\uFFFD');
}
