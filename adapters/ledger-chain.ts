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
//
// Two hashers make those bytes. ChainBatch lays out a whole transaction's rows (or a page of
// verify's) and hashes them in one call to native/chain.c: from here a crypto call costs about
// as much per row as the hashing itself, which made the chain a quarter of a batched append's
// time. rowHasher / hexRowHasher hash one row per call in JavaScript, where the addon was not
// built; tests hold the two to the same bytes.
import { createHmac, hash as digest } from 'node:crypto';
import { nativePart } from '../src/native-addon.js';

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
  // scratch buffer while they repeat. kind and step come from a KindSteps cache.
  let lastRun: string | undefined;
  let lastOperator: string | undefined;
  let batchLength = 0;
  const kindSteps = new KindSteps();
  const kindStep = (kind: string, step: string | null) => kindSteps.get(kind, step);

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
      if (prevHex.length !== 2 * HASH_BYTES || !rowOfTypes(id, runId, seq, at, kind, step, operator, payload)) return '';
      const n = fill(id, runId, seq, at, kind, step, operator, payload);
      if (scratch.write(prevHex, start, 'hex') !== HASH_BYTES) return '';
      return finish(n, 'hex');
    },
  };
}

/**
 * kind and step take a few values: their encoded fields, the two together, come from a small
 * map. They depend only on the strings, so nothing stale can be reused.
 */
class KindSteps {
  private readonly kinds = new Map<string, Map<string | null, Buffer>>();
  private static readonly NO_STEP = Buffer.alloc(4, 0xff);

  get(kind: string, step: string | null): Buffer {
    let steps = this.kinds.get(kind);
    if (steps === undefined) {
      if (this.kinds.size >= 256) this.kinds.clear();
      steps = new Map();
      this.kinds.set(kind, steps);
    }
    let f = steps.get(step);
    if (f === undefined) {
      if (steps.size >= 256) steps.clear();
      f = Buffer.concat([field(kind), step === null ? KindSteps.NO_STEP : field(step)]);
      steps.set(step, f);
    }
    return f;
  }
}

/** native/chain.c's functions. */
interface NativeChain {
  chainRows(batch: Uint8Array, ends: Uint32Array, count: number, key: Uint8Array | null, prev: Uint8Array, out: Uint8Array): void;
  checkRows(batch: Uint8Array, ends: Uint32Array, count: number, key: Uint8Array | null, expected: Uint8Array): number;
}

/**
 * The native batch hasher (src/native-addon.ts), or null without it: then every row is hashed
 * here, one crypto call a row. It is used only once it hashes a row, plain and keyed, to the
 * bytes this file makes.
 */
export const nativeChain = nativePart<NativeChain>(['chainRows', 'checkRows'], hashesAsHere);

function hashesAsHere(n: NativeChain): boolean {
  const row = ['r-1', 7, 1_700_000_000_000, 'step.note', 'ü', 'ops', '{"note":"ok"}'] as const;
  const prev = Buffer.alloc(HASH_BYTES, 0xab);
  return [undefined, 'k'].every((key) => {
    const batch = new ChainBatch(n, key);
    batch.add(3, ...row);
    const out = Buffer.alloc(HASH_BYTES);
    batch.chainInto(prev, out);
    return out.equals(rowHasher(key)(3, ...row, prev, Buffer.alloc(HASH_BYTES)));
  });
}

/** A batch hasher, or undefined without the native one. */
export function chainBatch(key?: string): ChainBatch | undefined {
  const n = nativeChain();
  return n ? new ChainBatch(n, key) : undefined;
}

/**
 * Rows laid out back to back as the chain hashes them (the layout at the top of this file),
 * each with 32 bytes of room for its link first, then hashed in one native call.
 */
export class ChainBatch {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private ends = new Uint32Array(256);
  private count = 0;
  private end = 0;
  private readonly key: Buffer | null;
  private readonly kindSteps = new KindSteps();
  private lastRun?: string;
  private lastOperator?: string;
  private runOp = Buffer.alloc(0);

  constructor(
    private readonly native: NativeChain,
    key?: string,
  ) {
    this.key = key === undefined ? null : Buffer.from(hmacKey(key), 'latin1');
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
    this.end = 0;
  }

  /** One row, after the ones added since clear(); its link is filled in later. */
  add(id: number, runId: string, seq: number, at: number, kind: string, step: string | null, operator: string, payload: string): void {
    if (runId !== this.lastRun || operator !== this.lastOperator) {
      this.runOp = Buffer.concat([field(runId), field(operator)]);
      this.lastRun = runId;
      this.lastOperator = operator;
    }
    const ks = this.kindSteps.get(kind, step);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room before a write could be cut short.
    const room = this.end + HASH_BYTES + 24 + this.runOp.length + ks.length + 3 * payload.length;
    if (room > this.buf.length) this.grow(room);
    if (this.count === this.ends.length) {
      const ends = new Uint32Array(2 * this.ends.length);
      ends.set(this.ends);
      this.ends = ends;
    }
    let n = this.end + HASH_BYTES;
    this.view.setFloat64(n, id);
    this.view.setFloat64(n + 8, seq);
    this.view.setFloat64(n + 16, at);
    n += 24;
    this.buf.set(this.runOp, n);
    n += this.runOp.length;
    this.buf.set(ks, n);
    n += ks.length;
    n += this.buf.write(payload, n, 'utf8');
    this.ends[this.count++] = n;
    this.end = n;
  }

  /** The last row's link, as 64 hex digits (verify's rows); false when that is not 32 bytes. */
  linkLast(hex: string): boolean {
    const start = this.count > 1 ? this.ends[this.count - 2] : 0;
    return hex.length === 2 * HASH_BYTES && this.buf.write(hex, start, 'hex') === HASH_BYTES;
  }

  /** Chains the rows from `prev` (32 bytes) and writes their hashes to out, 32 bytes a row. */
  chainInto(prev: Uint8Array, out: Uint8Array): void {
    this.native.chainRows(this.buf, this.ends, this.count, this.key, prev, out);
  }

  /** How many of the first `count` rows, from the first, hash (with the links given) to `expected`, 32 bytes a row. */
  countMatching(expected: Uint8Array, count = this.count): number {
    return this.native.checkRows(this.buf, this.ends, Math.min(count, this.count), this.key, expected);
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(size, 2 * this.buf.length));
    this.buf.copy(bigger, 0, 0, this.end);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }
}

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
