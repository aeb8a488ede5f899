// A log file read for the byte scanner (scan-bytes.ts) in reads of up to 1 MiB into two
// buffers that take turns: while the lines of one are scanned, the next read goes into the
// other on libuv's thread pool (copying a large log out of the page cache took about a tenth
// of a harvest on this thread).
import { fstatSync, openSync, read } from 'node:fs';
import { LF } from './byte-cells.js';
import { EvidenceError, explainReadError } from './columns.js';

// A buffer: `front` bytes of room for the start of a line carried over from the other buffer,
// then one read of `front` bytes: 1 MiB, or the file's size for a smaller file (at least
// 64 KiB), so that harvesting many small logs does not clear 4 MiB for each. A line of up to
// `front` bytes is always read here; one of which more were read without its end goes to the
// general parser.
const READ_SIZE = 1 << 20;
const MIN_READ_SIZE = 64 << 10;

export function openLog(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new EvidenceError(explainReadError(path, err), { cause: err });
  }
}

/** The two buffers of one log and the reads into them; ByteScanner reads the lines. */
export class LogBuffers {
  // Room past the data: the readers look a few bytes ahead of a field (a time is 20–30 bytes),
  // which must never be a read outside the buffer (V8 then slows every read down). What they
  // see there does not matter: every line ends in a \n before it, which no reader accepts.
  protected readonly front: number;
  protected buf: Buffer;
  protected spare: Buffer;
  // The same bytes as 32-bit words at any offset (the route cache compares four bytes at once).
  protected words: DataView;
  protected spareWords: DataView;
  /** The read into spare[front...] of the file's bytes from `offset`, when one was started. */
  protected ahead?: { offset: number; done: Promise<number> };
  protected end = 0; // end of the bytes in buf
  protected base = 0; // file offset of buf[0] (the bytes start at front or just before it)
  protected eof = false;
  protected virtualLf = -1; // index of the \n added after a last line that had none

  constructor(
    readonly path: string,
    readonly fd: number,
  ) {
    this.front = Math.min(READ_SIZE, Math.max(MIN_READ_SIZE, fstatSync(fd).size));
    this.buf = Buffer.alloc(2 * this.front + 64);
    this.spare = Buffer.alloc(2 * this.front + 64);
    this.words = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.spareWords = new DataView(this.spare.buffer, this.spare.byteOffset, this.spare.length);
  }

  /** buf from file offset `offset`: its bytes at front. */
  protected async load(offset: number): Promise<void> {
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
  protected async next(p: number): Promise<number> {
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
}
