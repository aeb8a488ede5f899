// The fast path of a harvest: request-log lines read straight from the file's bytes, in
// 1 MiB reads into two buffers that take turns: while the lines of one are scanned, the next
// 1 MiB is read into the other on libuv's thread pool (copying a large log out of the page
// cache took about a tenth of a harvest on this thread). Times, latencies and statuses are
// parsed from the bytes (no strings are made), routes are found by their bytes in a hash table.
//
// It reads only what it is sure the general parser (uDSV, scan-general.ts) would read the
// same way: one line per record, fields plain or "quoted" on one line, the header's line end
// on every line. A cell it cannot parse itself (epoch seconds, "1e3", a time without a zone)
// goes through the general cell readers (cells.ts), so it means the same or fails with the same
// words, naming its line. Anything else unusual (a quoted line break, a short or long row, a
// stray quote or \r, a header with quotes) hands the rest of the file, from that record, to the
// general parser; since both stop and start on record boundaries, the evidence is the same as
// if the general parser had read the whole file.
//
// Where the native addon is built (src/native-addon.ts), its reader (native/scan.c) reads the
// plain lines, a few thousand per call, with the same readers written in C; it stops at any
// line it is not sure of, and that line is read here, line by line, as ever. Routes it has
// not seen numbered yet come back as bytes and are numbered here. test/evidence-native.test.ts
// holds the two to the same evidence, reads and errors on logs of every shape.
import { closeSync, fstatSync, openSync, read } from 'node:fs';
import type { Accumulator } from './accumulator.js';
import { hashField, readDecimal, readEnd, readTime, skipField, timeRead } from './byte-cells.js';
import { CellProblem, readCells, type RequestCells } from './cells.js';
import { EvidenceError, columnIndexes, explainReadError, type Columns } from './columns.js';
import type { GeneralStart } from './scan-general.js';
import { nativePart } from '../native-addon.js';

/** What the byte scanner did with a file; `general`: the general parser must read from there. */
export interface ByteScan {
  records: number; // data records read by the byte scanner
  slowRecords: number; // of which had a cell read by the general cell readers
  nativeRecords: number; // of which were read by native/scan.c
  general?: GeneralStart | 'whole file';
}

// A buffer: `front` bytes of room for the start of a line carried over from the other buffer,
// then one read of `front` bytes: 1 MiB, or the file's size for a smaller file (at least
// 64 KiB), so that harvesting many small logs does not clear 4 MiB for each. A line of up to
// `front` bytes is always read here; one of which more were read without its end goes to the
// general parser.
const READ_SIZE = 1 << 20;
const MIN_READ_SIZE = 64 << 10;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

// Roles of the columns; OTHER columns are stepped over.
const OTHER = 0;
const TS = 1;
const LATENCY = 2;
const STATUS = 3;
const ROUTE = 4;

/** A line to leave to the general parser; from readHeader: a header it cannot read. */
export const HAND_OFF = -1;

/**
 * native/scan.c: the plain lines from p (see there), their cells into nums (ts, latency,
 * status a line) and their routes into spans (start, end, number, hash a line; number -1: no
 * route, -2: one not among the known ones yet); returns how many it read and puts where it
 * stopped into state[0]. known: the routes numbered so far, their bytes back to back.
 */
interface NativeScan {
  scanPlain(
    buf: Uint8Array,
    p: number,
    limit: number,
    roles: Uint8Array,
    crlf: number,
    virtualLf: number,
    nums: Float64Array,
    spans: Int32Array,
    state: Float64Array,
    known: Uint8Array,
    knownEnds: Int32Array,
    knownHashes: Int32Array,
    knownIds: Int32Array,
  ): number;
}

/** Routes numbered for the native reader, at most MAX_KNOWN (others are found here, line by line). */
class KnownRoutes {
  static readonly MAX_KNOWN = 64;
  bytes = new Uint8Array(0);
  ends = new Int32Array(0);
  hashes = new Int32Array(0);
  ids = new Int32Array(0);
  private readonly has = new Set<number>();

  add(b: Uint8Array, from: number, to: number, hash: number, id: number): void {
    if (this.has.has(id) || this.ids.length >= KnownRoutes.MAX_KNOWN) return;
    this.has.add(id);
    const bytes = new Uint8Array(this.bytes.length + to - from);
    bytes.set(this.bytes);
    bytes.set(b.subarray(from, to), this.bytes.length);
    this.bytes = bytes;
    this.ends = Int32Array.of(...this.ends, bytes.length);
    this.hashes = Int32Array.of(...this.hashes, hash);
    this.ids = Int32Array.of(...this.ids, id);
  }
}

/** Lines the native reader reads per call. */
const NATIVE_LINES = 4096;

/**
 * The native plain-line reader (src/native-addon.ts), used once it reads three sample lines as
 * this file does: two plain ones (ISO time and a quoted route, epoch time), then one it must leave.
 */
export const nativeScan = nativePart<NativeScan>(['scanPlain'], readsSample);

function readsSample(n: NativeScan): boolean {
  const text = '2026-11-23T11:00:00.123+01:00,12.5,200,"/a,b"\n1795431600000,7,503,/x\nsoon,1,2,/y\n';
  const buf = Buffer.alloc(text.length + 64);
  buf.write(text);
  const nums = new Float64Array(9);
  const spans = new Int32Array(12);
  const state = new Float64Array(1);
  const known = new KnownRoutes();
  known.add(buf, text.indexOf('/x'), text.indexOf('/x') + 2, hashField(buf, text.indexOf('/x'), false), 7);
  const read = n.scanPlain(buf, 0, text.length, Uint8Array.of(TS, LATENCY, STATUS, ROUTE), 0, -1, nums, spans, state, known.bytes, known.ends, known.hashes, known.ids);
  const expected = [Date.UTC(2026, 10, 23, 10, 0, 0, 123), 12.5, 200, 1_795_431_600_000, 7, 503];
  const routes = [text.slice(spans[0], spans[1]), spans[2], spans[3] === hashField(buf, spans[0], true), text.slice(spans[4], spans[5]), spans[6]];
  return read === 2 && expected.every((v, i) => nums[i] === v) && state[0] === text.indexOf('soon') && JSON.stringify(routes) === JSON.stringify(['/a,b', -2, true, '/x', 7]);
}

export async function scanBytes(path: string, names: Columns, routeRequired: boolean, acc: Accumulator): Promise<ByteScan> {
  const fd = openLog(path);
  let scanner: ByteScanner | undefined;
  try {
    scanner = new ByteScanner(path, fd, names, routeRequired, acc);
    const from = await scanner.readHeader();
    return from === HAND_OFF ? { records: 0, slowRecords: 0, nativeRecords: 0, general: 'whole file' } : await scanner.scanToEnd(from);
  } finally {
    await scanner?.settled(); // no read may still be going when the descriptor is closed
    closeSync(fd);
  }
}

export function openLog(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new EvidenceError(explainReadError(path, err), { cause: err });
  }
}

/** Reads the lines of one log into an accumulator; see the top of this file. */
export class ByteScanner {
  // Room past the data: the readers look a few bytes ahead of a field (a time is 20–30 bytes),
  // which must never be a read outside the buffer (V8 then slows every read down). What they
  // see there does not matter: every line ends in a \n before it, which no reader accepts.
  private readonly front: number;
  private buf: Buffer;
  private spare: Buffer;
  // The same bytes as 32-bit words at any offset (the route cache compares four bytes at once).
  private words: DataView;
  private spareWords: DataView;
  /** The read into spare[front...] of the file's bytes from `offset`, when one was started. */
  private ahead?: { offset: number; done: Promise<number> };
  private end = 0; // end of the bytes in buf
  private base = 0; // file offset of buf[0] (the bytes start at front or just before it)
  private eof = false;
  private virtualLf = -1; // index of the \n added after a last line that had none
  private handOffAt = 0;
  private records = 0;
  private slowRecords = 0;
  private nativeRecords = 0;
  private reserved = false;
  private warmedUp = false;

  // Set from the header.
  private roles = new Uint8Array(0);
  private header: string[] = [];
  private headerText = '';
  private crlf = false;
  private line = 1;

  private readonly routes: RouteTable;
  private readonly trie = new RouteTrie();
  private readonly routeCache = new RouteCache();
  private readonly cells: RequestCells = { ts: 0, latency: 0, status: 0 };
  // native/scan.c where it is built: it reads the plain lines, this file the others.
  private readonly native = nativeScan();
  private readonly nums = new Float64Array(this.native ? 3 * NATIVE_LINES : 0);
  private readonly spans = new Int32Array(this.native ? 4 * NATIVE_LINES : 0);
  private readonly stopped = new Float64Array(1);
  private readonly known = new KnownRoutes();

  constructor(
    readonly path: string,
    readonly fd: number,
    readonly names: Columns,
    readonly routeRequired: boolean,
    readonly acc: Accumulator,
  ) {
    this.routes = new RouteTable(acc);
    this.front = Math.min(READ_SIZE, Math.max(MIN_READ_SIZE, fstatSync(fd).size));
    this.buf = Buffer.alloc(2 * this.front + 64);
    this.spare = Buffer.alloc(2 * this.front + 64);
    this.words = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.spareWords = new DataView(this.spare.buffer, this.spare.byteOffset, this.spare.length);
  }

  /** Every line from file offset `from` (where readHeader said the data starts) to the end. */
  async scanToEnd(from: number): Promise<ByteScan> {
    if (from < this.base + this.front || from > this.base + this.end) await this.load(from);
    const done = await this.scan(from - this.base, Infinity);
    const counts = { records: this.records, slowRecords: this.slowRecords, nativeRecords: this.nativeRecords };
    if (done) return counts;
    const general = { byte: this.base + this.handOffAt, line: this.line, headerText: this.headerText, rowDelim: this.crlf ? '\r\n' : '\n' } as const;
    return { ...counts, general };
  }

  /**
   * Lines starting before file offset `stop`, from p; true when all were read, false at one to
   * hand off (handOffAt).
   */
  private async scan(p: number, stop: number): Promise<boolean> {
    for (;;) {
      if (this.base + p >= stop) return true;
      const full = this.eof ? this.end : this.buf.lastIndexOf(LF, this.end - 1) + 1;
      if (full <= p) {
        if (this.eof) return true;
        if (this.end - p > this.front) {
          this.handOffAt = p; // one line longer than front
          return false;
        }
        p = await this.next(p);
        continue;
      }
      const from = p;
      // The very first call reads a few lines only: V8 records what the function does on its
      // first lines, and the calls after it find that record complete (no optimised code dropped).
      const first = this.warmedUp ? Infinity : p + 4096;
      this.warmedUp = true;
      p = this.scanLines(p, Math.min(full, stop - this.base, first));
      if (p === HAND_OFF) return false;
      if (!this.reserved && this.records > 0) {
        // The first buffer tells about how long a line is: room for the rest at once, not by doubling.
        this.reserved = true;
        const left = Math.min(stop, fstatSync(this.fd).size) - (this.base + p);
        this.acc.reserve(Math.ceil(((left * this.records) / (p - from)) * 1.05));
      }
      if (p < full) continue; // stopped before the buffer's last line: the first call, or at `stop`
      if (this.eof && p >= this.end) return true;
      if (this.end - p > this.front) {
        this.handOffAt = p;
        return false;
      }
      p = await this.next(p);
    }
  }

  /** buf from file offset `offset`: its bytes at front. */
  private async load(offset: number): Promise<void> {
    this.base = offset - this.front;
    this.end = this.front;
    this.eof = false;
    this.virtualLf = -1;
    await this.settled();
    const n = await this.readInto(this.buf, offset);
    this.filled(this.front, n);
  }

  /**
   * Swaps the buffers: the bytes from p on (the start of a line not yet complete, at most
   * front of them) go just before the read that was made into the spare buffer meanwhile.
   * Returns where that line now starts.
   */
  private async next(p: number): Promise<number> {
    const carried = this.end - p;
    const offset = this.base + this.end; // the first byte not yet read
    const n = this.ahead?.offset === offset ? await this.ahead.done : (await this.settled(), await this.readInto(this.spare, offset));
    this.ahead = undefined;
    const next = this.spare;
    this.buf.copy(next, this.front - carried, p, this.end);
    this.spare = this.buf;
    this.buf = next;
    const words = this.spareWords;
    this.spareWords = this.words;
    this.words = words;
    this.base = offset - this.front;
    this.end = this.front;
    this.virtualLf = -1;
    this.filled(this.front - carried, n);
    return this.front - carried;
  }

  /**
   * n bytes were read to buf[front...], after the file's bytes from `start`: the end of the
   * file when n is 0 (a last line without \n gets one; the buffer has room to spare for it),
   * else the next read starts.
   */
  private filled(start: number, n: number): void {
    this.end = this.front + n;
    if (n > 0) {
      const offset = this.base + this.end;
      this.ahead = { offset, done: this.readInto(this.spare, offset) };
      return;
    }
    this.eof = true;
    if (this.end > start && this.buf[this.end - 1] !== LF) {
      this.virtualLf = this.end;
      this.buf[this.end++] = LF;
    }
  }

  /** Up to front bytes from `offset` into to[front...], on the thread pool; 0 at the end. */
  private readInto(to: Buffer, offset: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const more = (got: number) =>
        read(this.fd, to, this.front + got, this.front - got, offset + got, (err, n) => {
          if (err) reject(new EvidenceError(explainReadError(this.path, err), { cause: err }));
          else if (n === 0 || got + n === this.front) resolve(got + n);
          else more(got + n);
        });
      more(0);
    });
  }

  /** Resolves when no read is going on (one started ahead is waited for, its bytes unused). */
  async settled(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    await ahead?.done.catch(() => undefined);
  }

  /**
   * Skips blank lines and a BOM, reads the header line; returns the file offset where the data
   * starts, or HAND_OFF when the header is anything but plain (the general parser reads the
   * file then).
   */
  async readHeader(): Promise<number> {
    await this.load(0);
    const b = this.buf;
    let p = this.front;
    while (p < this.end && (b[p] === LF || b[p] === CR)) if (b[p++] === LF) this.line++;
    if (b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
    if (p >= this.end) return this.base + p; // no header: an empty log
    const lf = b.indexOf(LF, p);
    if (lf < 0 || lf >= this.end) return HAND_OFF; // a header longer than the buffer
    this.crlf = lf > p && b[lf - 1] === CR;
    if (this.crlf && lf === this.virtualLf) return HAND_OFF; // ends in a lone \r: a \r-only file
    const text = b.toString('utf8', p, this.crlf ? lf - 1 : lf);
    if (text === '' || /["\r]/.test(text)) return HAND_OFF;
    this.headerText = text;
    this.header = text.split(',').map((name) => name.trim());
    const i = columnIndexes(this.path, this.header, this.names, this.routeRequired);
    const used = [i.ts, i.latency, i.status, i.route].filter((c) => c >= 0);
    if (new Set(used).size !== used.length) return HAND_OFF; // one column in two roles
    this.roles = new Uint8Array(this.header.length);
    this.roles[i.ts] = TS;
    this.roles[i.latency] = LATENCY;
    this.roles[i.status] = STATUS;
    if (i.route >= 0) {
      this.roles[i.route] = ROUTE;
      this.acc.routesSeen();
    }
    this.line++;
    return this.base + lf + 1;
  }

  /** True when p is the line end this file uses (the line's last field ends there). */
  private lineEndAt(p: number): boolean {
    const c = this.buf[p];
    if (this.crlf) return (c === CR && this.buf[p + 1] === LF && p + 1 !== this.virtualLf) || (c === LF && p === this.virtualLf);
    return c === LF;
  }

  /**
   * The lines from p up to limit (the byte after a \n). Returns limit, or HAND_OFF with
   * handOffAt set to the first byte of the line to leave to the general parser. Whatever this
   * loop touches it touches on every line, so V8 has seen all of it before it optimises the
   * loop, and never has to drop the optimised code at the end of a buffer.
   */
  private scanLines(p: number, limit: number): number {
    const b = this.buf;
    const roles = this.roles;
    const last = roles.length - 1;
    const crlf = this.crlf;
    const virtualLf = this.virtualLf;
    const acc = this.acc;
    const errorMin = acc.errorStatusMin;
    const routes = this.routes;
    const trie = this.trie;
    const cache = this.routeCache;
    const words = this.words;
    const end = readEnd;
    const native = this.native;
    while (p < limit) {
      if (native !== null) {
        p = this.nativeLines(native, p, limit);
        if (p >= limit) break;
        // A line native/scan.c left (or the first after its room ran out): read here, as ever.
      }
      const lineStart = p;
      let ts = NaN;
      let latency = NaN;
      let status = NaN;
      let route = -1;
      plain: {
        if (b[p] === LF || b[p] === CR) break plain; // a blank line, or worse
        for (let col = 0; col <= last; col++) {
          const quoted = b[p] === QUOTE;
          if (quoted) p++;
          const role = roles[col];
          if (role === TS) {
            if (!readTime(b, p)) break plain;
            ts = timeRead[0];
          } else if (role === LATENCY) {
            latency = readDecimal(b, p);
            if (latency !== latency) break plain;
          } else if (role === STATUS) {
            status = readDecimal(b, p);
            if (status !== status) break plain;
          } else if (role === ROUTE) {
            route = cache.find(words, b, p, quoted);
            if (route === UNKNOWN) {
              route = trie.walk(b, p, quoted);
              if (route === UNKNOWN) {
                // First sight of this route (or not plain): by hash, which also teaches the trie.
                const h = hashField(b, p, quoted);
                if (end[0] < 0) break plain;
                route = end[0] > p ? routes.find(b, p, end[0], h) : -1;
                if (route >= 0) trie.learn(b, p, end[0], route);
              }
              if (route >= 0) cache.learn(b, p, end[0], quoted, route);
            }
          } else {
            skipField(b, p, quoted);
            if (end[0] < 0) break plain;
          }
          p = end[0];
          if (quoted) {
            if (b[p] !== QUOTE) break plain;
            p++;
          }
          if (col < last) {
            if (b[p] !== COMMA) break plain;
            p++;
          }
        }
        // The line end this file uses, right after the last field.
        if (b[p] === LF) {
          if (crlf && p !== virtualLf) break plain;
          p++;
        } else if (crlf && b[p] === CR && b[p + 1] === LF && p + 1 !== virtualLf) p += 2;
        else break plain;
        acc.addSample(ts, latency, status >= errorMin, route);
        this.records++;
        this.line++;
        continue;
      }
      // Not plain: a blank line, the same line cell by cell as text, or the general parser from here.
      p = this.otherLine(lineStart);
      if (p === HAND_OFF) {
        this.handOffAt = lineStart;
        return HAND_OFF;
      }
      this.line++;
    }
    return p;
  }

  /** The plain lines native/scan.c reads from p, into the accumulator; returns where it stopped. */
  private nativeLines(native: NativeScan, p: number, limit: number): number {
    const { nums, spans, acc, buf, known } = this;
    const n = native.scanPlain(buf, p, limit, this.roles, this.crlf ? 1 : 0, this.virtualLf, nums, spans, this.stopped, known.bytes, known.ends, known.hashes, known.ids);
    const errorMin = acc.errorStatusMin;
    for (let i = 0; i < n; i++) {
      // -1: no route (an empty one counts overall and in its window only, as line by line).
      let route = spans[4 * i + 2];
      if (route === -2) {
        const from = spans[4 * i];
        const to = spans[4 * i + 1];
        const hash = spans[4 * i + 3];
        route = this.routes.find(buf, from, to, hash);
        known.add(buf, from, to, hash, route);
      }
      acc.addSample(nums[3 * i], nums[3 * i + 1], nums[3 * i + 2] >= errorMin, route);
    }
    this.records += n;
    this.nativeRecords += n;
    this.line += n;
    return this.stopped[0];
  }

  /** A line the fast loop did not take: blank, or read as text; HAND_OFF for the general parser. */
  private otherLine(lineStart: number): number {
    const b = this.buf;
    // A blank line is skipped, as the general parser does; a bare \n in a \r\n file is not blank to it.
    if (b[lineStart] === LF) return this.crlf && lineStart !== this.virtualLf ? HAND_OFF : lineStart + 1;
    if (this.crlf && b[lineStart] === CR && b[lineStart + 1] === LF) return lineStart + 2;
    return this.slowLine(lineStart);
  }

  /**
   * A line the fast loop did not take, cell by cell as text, read with the general cell
   * readers. Returns where the next line starts, or HAND_OFF when it is not one plain record.
   */
  private slowLine(lineStart: number): number {
    const b = this.buf;
    const cells: string[] = [];
    let p = lineStart;
    const last = this.roles.length - 1;
    for (let col = 0; col <= last; col++) {
      let text: string;
      if (b[p] === QUOTE) {
        const from = p + 1;
        let escaped = false;
        for (p = from; ; p++) {
          if (b[p] === LF) return HAND_OFF; // a quoted line break
          if (b[p] === QUOTE) {
            if (b[p + 1] !== QUOTE) break;
            escaped = true;
            p++;
          }
        }
        text = b.toString('utf8', from, p++);
        if (escaped) text = text.replaceAll('""', '"');
      } else {
        const from = p;
        while (b[p] !== COMMA && b[p] !== LF && b[p] !== CR && b[p] !== QUOTE) p++;
        if (b[p] === QUOTE) return HAND_OFF;
        text = b.toString('utf8', from, p);
      }
      cells.push(text);
      if (col < last) {
        if (b[p] !== COMMA) return HAND_OFF; // fewer fields, or text after a closing quote
        p++;
      } else if (!this.lineEndAt(p)) return HAND_OFF; // more fields, or a stray \r
    }
    const roles = this.roles;
    const at = (role: number) => cells[roles.indexOf(role)];
    try {
      readCells(at(TS), at(LATENCY), at(STATUS), this.names, this.header, this.cells);
    } catch (err) {
      if (err instanceof CellProblem) throw new EvidenceError(`${this.path} line ${this.line}: ${err.message}`);
      throw err;
    }
    const { ts, latency, status } = this.cells;
    this.acc.add(ts, latency, status, roles.includes(ROUTE) ? at(ROUTE) : undefined);
    this.records++;
    this.slowRecords++;
    return p + (b[p] === CR ? 2 : 1);
  }
}

/** Routes by their bytes: open addressing over FNV-1a hashes, each entry's bytes compared. */
class RouteTable {
  private slots = new Int32Array(64).fill(-1);
  private readonly hashes: number[] = [];
  private readonly keys: Uint8Array[] = [];
  private readonly ids: number[] = [];

  constructor(readonly acc: Accumulator) {}

  find(b: Buffer, from: number, to: number, h: number): number {
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e < 0) return this.add(b, from, to, h, s);
      if (this.hashes[e] === h && sameBytes(this.keys[e], b, from, to)) return this.ids[e];
    }
  }

  private add(b: Buffer, from: number, to: number, h: number, slot: number): number {
    const e = this.keys.length;
    this.hashes.push(h);
    this.keys.push(new Uint8Array(b.subarray(from, to)));
    this.ids.push(this.acc.routeId(b.toString('utf8', from, to)));
    this.slots[slot] = e;
    if (2 * this.keys.length > this.slots.length) this.grow();
    return this.ids[e];
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    this.hashes.forEach((h, e) => {
      let s = h & mask;
      while (slots[s] >= 0) s = (s + 1) & mask;
      slots[s] = e;
    });
    this.slots = slots;
  }
}

/** RouteTrie.walk: a route the trie does not know yet. */
const UNKNOWN = -2;

/**
 * The routes already seen, as a trie over their bytes: a route is found with one table read a
 * byte, where hashing it and comparing it with the table's entry reads each byte twice. Holds
 * up to MAX_NODES nodes (4 MB); routes past that are found by hash only.
 */
class RouteTrie {
  private static readonly MAX_NODES = 4096;
  private next = new Int32Array(256 * 64); // node * 256 + byte → child node (0: none)
  private route = new Int32Array(64).fill(-1); // node → route number ending there
  private nodes = 1; // node 0 is the root

  /** The route number of the field at p (readEnd: its end), -1 when empty, UNKNOWN otherwise. */
  walk(b: Uint8Array, p: number, quoted: boolean): number {
    const next = this.next;
    let node = 0;
    if (quoted) {
      for (let c = b[p]; c !== QUOTE; c = b[++p]) if ((node = next[node * 256 + c]) === 0) return UNKNOWN;
      if (b[p + 1] === QUOTE) return UNKNOWN; // an escaped quote: read as text
    } else for (let c = b[p]; c !== COMMA && c !== LF && c !== CR; c = b[++p]) if ((node = next[node * 256 + c]) === 0) return UNKNOWN;
    readEnd[0] = p;
    return node === 0 ? -1 : this.route[node] >= 0 ? this.route[node] : UNKNOWN;
  }

  /** Teaches the trie the route of bytes [from, to), while there is room. */
  learn(b: Uint8Array, from: number, to: number, route: number): void {
    let node = 0;
    for (let p = from; p < to; p++) {
      let child = this.next[node * 256 + b[p]];
      if (child === 0) {
        if (this.nodes === RouteTrie.MAX_NODES) return;
        if (this.nodes === this.route.length) this.grow();
        child = this.nodes++;
        this.next[node * 256 + b[p]] = child;
      }
      node = child;
    }
    this.route[node] = route;
  }

  private grow(): void {
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.next = next;
    const route = new Int32Array(this.route.length * 2).fill(-1);
    route.set(this.route);
    this.route = route;
  }
}

/**
 * The routes seen most lately, found by their first four bytes and checked four bytes at a
 * time: where the trie reads a route one byte and one table entry after another (each read
 * waiting for the one before), this compares a few words that can all be read at once. Holds
 * routes of four bytes or more, up to WAYS of them sharing a slot; any other route, or one
 * whose bytes differ, is UNKNOWN here and goes to the trie.
 */
class RouteCache {
  private static readonly SLOTS = 64;
  private static readonly WAYS = 4;
  private readonly heads = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS); // first four bytes
  private readonly ids = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS).fill(-1);
  private readonly lengths = new Int32Array(RouteCache.SLOTS * RouteCache.WAYS);
  private readonly quoted = new Uint8Array(RouteCache.SLOTS * RouteCache.WAYS);
  private readonly bytes: DataView[] = []; // each entry's bytes, padded to whole words
  private readonly next = new Uint8Array(RouteCache.SLOTS); // the way to replace next

  /** The route number of the field at p (readEnd: its end), or UNKNOWN. */
  find(words: DataView, b: Uint8Array, p: number, quoted: boolean): number {
    const head = words.getInt32(p, true);
    const slot = (Math.imul(head, 0x9e3779b1) >>> 26) * RouteCache.WAYS;
    for (let e = slot; e < slot + RouteCache.WAYS; e++) {
      const id = this.ids[e];
      if (id < 0) return UNKNOWN;
      if (this.heads[e] !== head || this.quoted[e] !== (quoted ? 1 : 0)) continue;
      const length = this.lengths[e];
      const known = this.bytes[e];
      let i = 4;
      while (i + 4 <= length && words.getInt32(p + i, true) === known.getInt32(i, true)) i += 4;
      if (i + 4 <= length) continue;
      while (i < length && b[p + i] === known.getUint8(i)) i++;
      if (i < length) continue;
      const c = b[p + length];
      if (quoted ? c !== QUOTE || b[p + length + 1] === QUOTE : c !== COMMA && c !== LF && c !== CR) continue;
      readEnd[0] = p + length;
      return id;
    }
    return UNKNOWN;
  }

  /** Remembers the route of bytes [from, to), when it is four bytes or more. */
  learn(b: Uint8Array, from: number, to: number, quoted: boolean, id: number): void {
    const length = to - from;
    if (length < 4) return;
    const padded = new Uint8Array(Math.ceil(length / 4) * 4);
    padded.set(b.subarray(from, to));
    const known = new DataView(padded.buffer);
    const head = known.getInt32(0, true);
    const slotIndex = Math.imul(head, 0x9e3779b1) >>> 26;
    const slot = slotIndex * RouteCache.WAYS;
    let e = slot;
    while (e < slot + RouteCache.WAYS && this.ids[e] >= 0) e++;
    if (e === slot + RouteCache.WAYS) {
      e = slot + this.next[slotIndex];
      this.next[slotIndex] = (this.next[slotIndex] + 1) % RouteCache.WAYS;
    }
    this.heads[e] = head;
    this.ids[e] = id;
    this.lengths[e] = length;
    this.quoted[e] = quoted ? 1 : 0;
    this.bytes[e] = known;
  }
}

function sameBytes(key: Uint8Array, b: Buffer, from: number, to: number): boolean {
  if (key.length !== to - from) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== b[from + i]) return false;
  return true;
}
