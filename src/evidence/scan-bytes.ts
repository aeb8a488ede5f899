// The fast path of a harvest: request-log lines read straight from the file's bytes, in
// 1 MiB reads into two buffers that take turns (log-buffers.ts). Times, latencies and statuses
// are parsed from the bytes (no strings are made, byte-cells.ts), routes are found by their
// bytes (byte-routes.ts).
//
// It reads only what it is sure the general parser (uDSV, scan-general.ts) would read the
// same way: one line per record, fields plain or "quoted" on one line, the header's line end
// on every line. A cell it cannot parse itself (epoch seconds, "1e3", a time without a zone)
// goes through the general cell readers (cells.ts), so it means the same or fails with the same
// words, naming its line. Anything else unusual (a quoted line break, a short or long row, a
// stray quote or \r, a header with quotes) hands the rest of the file, from that record, to the
// general parser; since both stop and start on record boundaries, the evidence is the same as
// if the general parser had read the whole file.
import { closeSync, fstatSync } from 'node:fs';
import type { Accumulator } from './accumulator.js';
import { COMMA, CR, LF, QUOTE, hashField, readDecimal, readEnd, readTime, skipField, timeRead } from './byte-cells.js';
import { RouteCache, RouteTable, RouteTrie, UNKNOWN } from './byte-routes.js';
import { CellProblem, readCells, type RequestCells } from './cells.js';
import { EvidenceError, columnIndexes, type Columns } from './columns.js';
import { LogBuffers, openLog } from './log-buffers.js';
import type { GeneralStart } from './scan-general.js';

/** What the byte scanner did with a file; `general`: the general parser must read from there. */
export interface ByteScan {
  records: number; // data records read by the byte scanner
  slowRecords: number; // of which had a cell read by the general cell readers
  general?: GeneralStart | 'whole file';
}

// Roles of the columns; OTHER columns are stepped over.
const OTHER = 0;
const TS = 1;
const LATENCY = 2;
const STATUS = 3;
const ROUTE = 4;

/** A line to leave to the general parser; from readHeader: a header it cannot read. */
export const HAND_OFF = -1;

export async function scanBytes(path: string, names: Columns, routeRequired: boolean, acc: Accumulator): Promise<ByteScan> {
  const fd = openLog(path);
  let scanner: ByteScanner | undefined;
  try {
    scanner = new ByteScanner(path, fd, names, routeRequired, acc);
    const from = await scanner.readHeader();
    return from === HAND_OFF ? { records: 0, slowRecords: 0, general: 'whole file' } : await scanner.scanToEnd(from);
  } finally {
    await scanner?.settled(); // no read may still be going when the descriptor is closed
    closeSync(fd);
  }
}

/** Reads the lines of one log into an accumulator; see the top of this file. */
export class ByteScanner extends LogBuffers {
  private handOffAt = 0;
  private records = 0;
  private slowRecords = 0;
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

  constructor(
    path: string,
    fd: number,
    readonly names: Columns,
    readonly routeRequired: boolean,
    readonly acc: Accumulator,
  ) {
    super(path, fd);
    this.routes = new RouteTable(acc);
  }

  /** Every line from file offset `from` (where readHeader said the data starts) to the end. */
  async scanToEnd(from: number): Promise<ByteScan> {
    if (from < this.base + this.front || from > this.base + this.end) await this.load(from);
    const done = await this.scan(from - this.base, Infinity);
    const counts = { records: this.records, slowRecords: this.slowRecords };
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
    while (p < limit) {
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
