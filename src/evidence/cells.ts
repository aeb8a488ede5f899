// The cells of a request-log row as text: timestamp, latency and status read and checked. Both
// parsers (the byte scanner and the general CSV parser) end here for anything that is not
// plain, so a cell means the same and fails with the same words whichever parser read it.

/** A cell the operator must fix; the caller adds the file and line. */
export class CellProblem extends Error {}

/** Header names of the three columns every row needs, for the words of a problem. */
export interface CellNames {
  ts: string;
  latency: string;
  status: string;
}

/** What one row says; filled in place by readCells so the hot loop allocates nothing. */
export interface RequestCells {
  ts: number;
  latency: number;
  status: number;
}

/**
 * Reads and checks the three cells of a row into `out`, timestamp first, then latency, then
 * status; throws CellProblem for the first bad one. `columns` is the header, for a cell that
 * holds a line break (the row had fewer fields and the parser ran into the next line).
 */
export function readCells(tsRaw: string, latRaw: string, statusRaw: string, names: CellNames, columns: readonly string[], out: RequestCells): void {
  const bad = (column: string, raw: string, what: string): never => {
    throw new CellProblem(
      /[\r\n]/.test(raw) ? `fewer fields than the header's ${columns.length} (${columns.join(', ')})` : `${column} is ${JSON.stringify(raw)}, ${what}`,
    );
  };
  const ts = parseTimestamp(tsRaw);
  if (ts === null) bad(names.ts, tsRaw, 'not an ISO 8601 time or epoch milliseconds');
  if (looksLikeEpochSeconds(ts!, tsRaw)) bad(names.ts, tsRaw, 'which looks like epoch seconds; give epoch milliseconds or ISO 8601');
  const latency = parseNumber(latRaw);
  if (!Number.isFinite(latency)) bad(names.latency, latRaw, 'not a number');
  if (latency < 0) bad(names.latency, latRaw, 'below 0');
  const status = parseNumber(statusRaw);
  if (!Number.isFinite(status)) bad(names.status, statusRaw, 'not a number');
  out.ts = ts!;
  out.latency = latency;
  out.status = status;
}

/** 10⁹ ≤ ts < 10¹¹ ms is 1970; as seconds it is 2001–5138: the usual mistake. */
export function looksLikeEpochSeconds(ts: number, raw: string): boolean {
  return ts >= 1e9 && ts < 1e11 && raw.charCodeAt(4) !== 45;
}

export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A number cell; NaN when it is not a number (an empty cell included). Plain decimals of up to
 * 15 digits, the usual latency or status, are read digit by digit: digits / 10^k is one
 * correctly rounded division of exact values, so the result equals Number(s) (Clinger's fast
 * path). Anything else goes to Number. The byte scanner computes the same digits / 10^k.
 */
export function parseNumber(s: string): number {
  const len = s.length;
  if (len > 0 && len <= 16) {
    let m = 0;
    let digits = 0;
    let point = -1;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        m = m * 10 + d;
        digits++;
      } else if (c === 46 && point < 0) point = i;
      else break;
    }
    if (i === len && digits > 0 && digits <= 15) return point < 0 ? m : m / POW10[len - 1 - point];
  }
  return s.trim() === '' ? NaN : Number(s);
}

// Date and time, optional seconds and fraction, optional zone. A time without a zone is read
// as UTC (never the machine's zone, which would shift every window).
const ISO_8601 = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?)?\s*$/;

/** Epoch milliseconds from epoch milliseconds or ISO 8601; null when it is neither. */
export function parseTimestamp(raw: string): number | null {
  const iso = canonicalIso(raw);
  if (iso === iso) return iso; // not NaN
  const n = +raw;
  if (Number.isFinite(n) && raw.trim() !== '') return n;
  const m = ISO_8601.exec(raw);
  if (!m) return null;
  const [, date, hm = '00:00', sec = ':00', frac = '0', zone = 'Z'] = m;
  const t = canonicalIso(`${date}T${hm}${sec}.${frac}${zone}`);
  return t === t ? t : null;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM|±HHMM)` read digit by digit (Date.parse costs about
 * ten times more, and accepts Feb 30). NaN when the text is not exactly that.
 */
function canonicalIso(s: string): number {
  const len = s.length;
  if (len < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const century = two(s, 0);
  const yy = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    let digits = 0;
    for (i++; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (digits++ < 3) ms = ms * 10 + d; // further digits are below a millisecond: dropped
    }
    if (digits === 0) return NaN;
    if (digits < 3) ms *= digits === 1 ? 100 : 10;
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== len) return NaN;
  } else if (z === 43 || z === 45) {
    const colon = len - i === 6 && s.charCodeAt(i + 3) === 58;
    if (!colon && len - i !== 5) return NaN;
    const oh = two(s, i + 1);
    const om = two(s, colon ? i + 4 : i + 3);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else return NaN;
  if ((century | yy | month | day | hour | minute | second) < 0) return NaN;
  const year = century * 100 + yy;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms - offset;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Two decimal digits at i, or -1 when either is not a digit. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}
