// The ledger's hash chain: every event row's hash covers the hash of the row before it (in
// id order, over the whole events table) and its own content, so an edited, deleted,
// inserted or reordered row shows as a break when the chain is walked again. The hash is
// stored as a 32-byte BLOB (the raw SHA-256 / HMAC-SHA256 output). Rows written before the
// implicitPrevHash migration (ledger.ts) also store the previous row's hash again, in
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
function field(s: string): Buffer {
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

/**
 * Hashes one row into `out` (HASH_BYTES long) and returns it. The caller owns `out`: the
 * append path alternates two buffers (SQLite copies bound blobs), verify reuses one.
 */
export type RowHasher = (
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHash: Uint8Array,
  out: Buffer,
) => Buffer;

/** The ledger key as used for HMAC: 64 ASCII hex characters, one SHA-256 block. */
const hmacKey = (key: string) => digest('sha256', key, 'hex');

/**
 * Like RowHasher for verify, in hex: prev_hash comes in as the 64 hex digits SQLite's hex()
 * gives (either case) and the hash goes out as 64 lowercase ones, '' when prev_hash is not
 * 32 bytes. Reading the two blobs as Buffers costs about 0.45 µs a row each in
 * better-sqlite3 (over a million rows, more than all the hashing); hex() text costs a fifth.
 */
export type HexRowHasher = (
  id: number,
  runId: string,
  seq: number,
  at: number,
  kind: string,
  step: string | null,
  operator: string,
  payload: string,
  prevHex: string,
) => string;

/**
 * A row hasher. Per row it writes the hashed bytes (see the layout above) into one reused
 * buffer and hashes them with the one-shot crypto.hash. Measured on Node 20.20: a
 * createHash object with update() calls costs about 1.3 µs a row before hashing anything,
 * more than this whole path; a digest returned as a Buffer costs about 0.4 µs more than one
 * returned as 'binary' (latin1) and written into `out`. The hasher keeps nothing about the
 * chain itself: prev_hash comes in with every row (32 bytes; anything else is refused).
 */
export function rowHasher(key?: string): RowHasher {
  return chainHasher(key).toBuffer;
}

/** The same hash for verify, hex in and out (see HexRowHasher). */
export function hexRowHasher(key?: string): HexRowHasher {
  return chainHasher(key).toHex;
}

function chainHasher(key?: string): { toBuffer: RowHasher; toHex: HexRowHasher } {
  // HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)): K ^ ipad stays at the front of the
  // scratch buffer, the row follows it; the outer hash is over a fixed 96-byte buffer. A
  // test holds it equal to createHmac.
  const k = key === undefined ? undefined : Buffer.from(hmacKey(key), 'latin1');
  const start = k ? 64 : 0;
  const outer = Buffer.alloc(96);
  if (k) for (let i = 0; i < 64; i++) outer[i] = k[i] ^ 0x5c;
  // [K ^ ipad when keyed][prev_hash][id seq at][run_id operator][kind step][payload]
  const numbersAt = start + HASH_BYTES;
  const fieldsAt = numbersAt + 24;
  let scratch = Buffer.allocUnsafe(16 * 1024);
  let view = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
  if (k) for (let i = 0; i < 64; i++) scratch[i] = k[i] ^ 0x36;
  const grow = (size: number) => {
    const bigger = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
    scratch.copy(bigger, 0, 0, fieldsAt + batchLength);
    scratch = bigger;
    view = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
    views.clear();
  };

  // run_id and operator are the same for every row of a batch: their bytes stay in the
  // scratch buffer while they repeat. kind and step take a few values: their encoded fields,
  // the two together, come from a small map. Both depend only on the strings, so nothing
  // stale can be reused.
  let lastRun: string | undefined;
  let lastOperator: string | undefined;
  let batchLength = 0;
  const kindSteps = new Map<string, Map<string | null, Buffer>>();
  const noStep = Buffer.alloc(4, 0xff);
  const kindStep = (kind: string, step: string | null): Buffer => {
    let steps = kindSteps.get(kind);
    if (steps === undefined) {
      if (kindSteps.size >= 256) kindSteps.clear();
      steps = new Map();
      kindSteps.set(kind, steps);
    }
    let f = steps.get(step);
    if (f === undefined) {
      if (steps.size >= 256) steps.clear();
      f = Buffer.concat([field(kind), step === null ? noStep : field(step)]);
      steps.set(step, f);
    }
    return f;
  };

  /** Everything after prev_hash into the scratch buffer; returns where the bytes end. */
  const fill = (id: number, runId: string, seq: number, at: number, kind: string, step: string | null, operator: string, payload: string): number => {
    if (runId !== lastRun || operator !== lastOperator) {
      const run = field(runId);
      const op = field(operator);
      lastRun = runId;
      lastOperator = operator;
      batchLength = 0;
      if (fieldsAt + run.length + op.length > scratch.length) grow(fieldsAt + run.length + op.length);
      scratch.set(run, fieldsAt);
      scratch.set(op, fieldsAt + run.length);
      batchLength = run.length + op.length;
    }
    const ks = kindStep(kind, step);
    let n = fieldsAt + batchLength;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: grow before a write could be cut short.
    const room = n + ks.length + 3 * payload.length;
    if (room > scratch.length) grow(room);
    view.setFloat64(numbersAt, id);
    view.setFloat64(numbersAt + 8, seq);
    view.setFloat64(numbersAt + 16, at);
    scratch.set(ks, n);
    n += ks.length;
    return n + scratch.write(payload, n, 'utf8');
  };
  // The hashed bytes as one view of the scratch buffer per length, made once: a subarray
  // per row costs about a tenth of the hashing.
  const views = new Map<number, Buffer>();
  const hashed = (n: number): Buffer => {
    let v = views.get(n);
    if (v === undefined) {
      if (views.size >= 4096) views.clear();
      v = scratch.subarray(0, n);
      views.set(n, v);
    }
    return v;
  };
  // 'binary' is latin1: the 32 digest bytes as 32 characters, written back byte for byte.
  const finish = (n: number, encoding: 'binary' | 'hex'): string => {
    const inner = digest('sha256', hashed(n), k ? 'binary' : encoding);
    if (!k) return inner;
    outer.write(inner, 64, 'latin1');
    return digest('sha256', outer, encoding);
  };

  // Parameters spelled out: a rest/spread call allocates per row, a million times in verify.
  return {
    toBuffer: (id, runId, seq, at, kind, step, operator, payload, prevHash, out) => {
      if (prevHash.length !== HASH_BYTES) throw new RangeError(`prev_hash must be ${HASH_BYTES} bytes`);
      const n = fill(id, runId, seq, at, kind, step, operator, payload);
      scratch.set(prevHash, start);
      out.write(finish(n, 'binary'), 0, 'latin1');
      return out;
    },
    toHex: (id, runId, seq, at, kind, step, operator, payload, prevHex) => {
      if (prevHex.length !== 2 * HASH_BYTES) return '';
      const n = fill(id, runId, seq, at, kind, step, operator, payload);
      if (scratch.write(prevHex, start, 'hex') !== HASH_BYTES) return '';
      return finish(n, 'hex');
    },
  };
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
