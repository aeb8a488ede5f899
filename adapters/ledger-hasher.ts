// The ledger's row hasher: the bytes of chainBytes() (the layout at the top of
// ledger-chain.ts) written into one reused buffer and hashed with the one-shot crypto.hash, a
// row per call, for appends (raw hash out) and for verify (hex in and out).
import { hash as digest } from 'node:crypto';
import { HASH_BYTES, field, hmacKey, rowOfTypes, type ChainRow } from './ledger-chain.js';

/**
 * Hashes one row into `out` (HASH_BYTES long) and returns it. The caller owns `out`: the
 * append path alternates two buffers (SQLite copies bound blobs), verify reuses one.
 */
export type RowHasher = (...row: [...RowFields, prevHash: Uint8Array, out: Buffer]) => Buffer;

/**
 * Like RowHasher for verify, in hex: prev_hash comes in as the 64 hex digits SQLite's hex()
 * gives (either case) and the hash goes out as 64 lowercase ones, '' when prev_hash is not
 * 32 bytes. Reading the two blobs as Buffers costs about 0.45 µs a row each in
 * better-sqlite3 (over a million rows, more than all the hashing); hex() text costs a fifth.
 */
export type HexRowHasher = (...row: [...RowFields, prevHex: string]) => string;

/** A row's hashed fields, in the chain's order (ChainRow without its prev_hash). */
type RowFields = ChainRow extends [...infer F, Buffer] ? F : never;

/**
 * A row hasher. Per row it writes the hashed bytes (the layout at the top of ledger-chain.ts) into one reused
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
