// Cells read straight from a log's bytes by the byte scanner (scan-bytes.ts): the plain forms
// only, each computed exactly as its text reader in cells.ts computes it, so a value read here
// is the same double the text would give. Anything else is NaN, and the scanner then reads
// the cell as text. Small functions on purpose: V8 optimises each within the first few hundred
// rows, where one large function would run unoptimised for the first hundred thousand.
import { POW10, daysFromCivil, daysInMonth } from './cells.js';

/** The readers' second result: where the cell's text ended (its first byte after). */
export const readEnd = new Int32Array(1);
/**
 * The time readTime read. A double returned from a function V8 does not inline is boxed, one
 * allocation a row; a slot in a typed array is not.
 */
export const timeRead = new Float64Array(1);

const DOT = 46;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const UPPER_T = 84;
const UPPER_Z = 90;
const LOWER_Z = 122;
export const COMMA = 44;
export const LF = 10;
export const CR = 13;
export const QUOTE = 34;

/**
 * Up to 15 digits with at most one point: digits / 10^k, as parseNumber computes it. What
 * follows is for the caller to check (a comma, a quote or the line end).
 */
export function readDecimal(b: Uint8Array, p: number): number {
  const from = p;
  let m = 0;
  let point = -1;
  for (;; p++) {
    const d = b[p] - 48;
    if (d >= 0 && d <= 9) m = m * 10 + d;
    else if (d === DOT - 48 && point < 0) point = p;
    else break;
  }
  readEnd[0] = p;
  const digits = point < 0 ? p - from : p - from - 1;
  if (digits < 1 || digits > 15) return NaN;
  return point < 0 ? m : m / POW10[p - 1 - point];
}

/**
 * A time: `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM|±HHMM)` or epoch milliseconds (1–15 digits), as
 * parseTimestamp computes them, into timeRead[0]; true when read. False for anything else,
 * epoch seconds included (10⁹–10¹¹ ms), which the text reader then refuses with its reason.
 */
export function readTime(b: Uint8Array, p: number): boolean {
  if (b[p + 4] !== MINUS) return readEpochMs(b, p);
  if (b[p + 7] !== MINUS || b[p + 10] !== UPPER_T || b[p + 13] !== COLON || b[p + 16] !== COLON) return false;
  const days = readDate(b, p);
  const h0 = b[p + 11] - 48;
  const h1 = b[p + 12] - 48;
  const mi0 = b[p + 14] - 48;
  const mi1 = b[p + 15] - 48;
  const s0 = b[p + 17] - 48;
  const s1 = b[p + 18] - 48;
  // x | (9 - x) is negative exactly when x is not 0–9. Written out here, in readDate and in
  // readZone: a shared two-digit reader measured slower (its calls cost while the scan is
  // still unoptimised, the first part of every harvest).
  if ((h0 | (9 - h0) | h1 | (9 - h1) | mi0 | (9 - mi0) | mi1 | (9 - mi1) | s0 | (9 - s0) | s1 | (9 - s1)) < 0 || days !== days) return false;
  const hour = h0 * 10 + h1;
  const minute = mi0 * 10 + mi1;
  const second = s0 * 10 + s1;
  if (hour > 23 || minute > 59 || second > 59) return false;
  p += 19;
  let ms = 0;
  if (b[p] === DOT) {
    const from = ++p;
    for (let d = b[p] - 48; d >= 0 && d <= 9; d = b[++p] - 48) if (p - from < 3) ms = ms * 10 + d; // below a millisecond: dropped
    const digits = p - from;
    if (digits === 0) return false;
    if (digits < 3) ms *= digits === 1 ? 100 : 10;
  }
  const offset = readZone(b, p);
  if (offset !== offset) return false;
  timeRead[0] = days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms - offset;
  return true;
}

// The last date read and its day number: a log repeats its date row after row.
let lastDate = -1;
let lastDays = NaN;

/** Days since 1970 of the YYYY-MM-DD at p; NaN when it is not a real date. */
function readDate(b: Uint8Array, p: number): number {
  const y0 = b[p] - 48;
  const y1 = b[p + 1] - 48;
  const y2 = b[p + 2] - 48;
  const y3 = b[p + 3] - 48;
  const mo0 = b[p + 5] - 48;
  const mo1 = b[p + 6] - 48;
  const d0 = b[p + 8] - 48;
  const d1 = b[p + 9] - 48;
  if ((y0 | (9 - y0) | y1 | (9 - y1) | y2 | (9 - y2) | y3 | (9 - y3) | mo0 | (9 - mo0) | mo1 | (9 - mo1) | d0 | (9 - d0) | d1 | (9 - d1)) < 0) return NaN;
  const date = (y0 * 1000 + y1 * 100 + y2 * 10 + y3) * 10_000 + (mo0 * 10 + mo1) * 100 + d0 * 10 + d1;
  if (date !== lastDate) {
    const year = Math.floor(date / 10_000);
    const month = Math.floor(date / 100) % 100;
    const day = date % 100;
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
    lastDate = date;
    lastDays = daysFromCivil(year, month, day);
  }
  return lastDays;
}

/** The zone at p in milliseconds east of UTC (Z is 0); NaN when there is none. */
function readZone(b: Uint8Array, p: number): number {
  const z = b[p];
  if (z === UPPER_Z || z === LOWER_Z) {
    readEnd[0] = p + 1;
    return 0;
  }
  if (z !== PLUS && z !== MINUS) return NaN;
  const colon = b[p + 3] === COLON;
  const oh0 = b[p + 1] - 48;
  const oh1 = b[p + 2] - 48;
  const om0 = b[p + (colon ? 4 : 3)] - 48;
  const om1 = b[p + (colon ? 5 : 4)] - 48;
  if ((oh0 | (9 - oh0) | oh1 | (9 - oh1) | om0 | (9 - om0) | om1 | (9 - om1)) < 0) return NaN;
  const oh = oh0 * 10 + oh1;
  const om = om0 * 10 + om1;
  if (oh > 23 || om > 59) return NaN;
  readEnd[0] = p + (colon ? 6 : 5);
  return (z === PLUS ? 1 : -1) * (oh * 60 + om) * 60_000;
}

function readEpochMs(b: Uint8Array, p: number): boolean {
  const from = p;
  let ms = 0;
  for (let d = b[p] - 48; d >= 0 && d <= 9; d = b[++p] - 48) ms = ms * 10 + d;
  readEnd[0] = p;
  timeRead[0] = ms;
  return p > from && p - from <= 15 && !(ms >= 1e9 && ms < 1e11);
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16_777_619;

/**
 * A field's text as an FNV-1a hash (routes are looked up by it); readEnd is where it ends,
 * -1 when it is not plain: a quote inside an unquoted field, a line break or an escaped
 * quote inside a quoted one. Quoted: p is after the opening quote, readEnd at the closing one.
 */
export function hashField(b: Uint8Array, p: number, quoted: boolean): number {
  let h = FNV_OFFSET;
  if (quoted) {
    for (let c = b[p]; c !== QUOTE; c = b[++p]) {
      if (c === LF) return (readEnd[0] = -1);
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    readEnd[0] = b[p + 1] === QUOTE ? -1 : p;
    return h;
  }
  for (let c = b[p]; c !== COMMA && c !== LF && c !== CR; c = b[++p]) {
    if (c === QUOTE) return (readEnd[0] = -1);
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  readEnd[0] = p;
  return h;
}

/** Steps over a field, as hashField does without hashing. */
export function skipField(b: Uint8Array, p: number, quoted: boolean): void {
  if (quoted) {
    for (let c = b[p]; c !== QUOTE; c = b[++p]) if (c === LF) return void (readEnd[0] = -1);
    readEnd[0] = b[p + 1] === QUOTE ? -1 : p;
    return;
  }
  for (let c = b[p]; c !== COMMA && c !== LF && c !== CR; c = b[++p]) if (c === QUOTE) return void (readEnd[0] = -1);
  readEnd[0] = p;
}
