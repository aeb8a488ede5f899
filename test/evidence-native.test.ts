// The harvest's native plain-line reader (native/scan.c) against the JavaScript byte scanner:
// on logs of every shape the two must give the same evidence, read the same lines the same
// way (FileRead), and fail with the same words on the same line.
import { describe, expect, it } from 'vitest';
import { seeded } from './support/random.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harvestFile, type FileRead } from '../src/evidence/harvest.js';
import { nativeScan } from '../src/evidence/scan-bytes.js';
import { withNative } from './support/native.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-scan-native-'));



const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A log of `rows` lines: mostly plain; by `unusual`, cells in forms that still read (other time
 * zones and fractions, quoted cells, decimals such as ".5" or "1e3", odd routes); by `broken`,
 * lines that do not (a bad cell, a short or long row, a line break in a quoted route).
 */
function log(seed: number, rows: number, unusual: number, broken: number): string {
  const r = seeded(seed);
  const crlf = r.next() < 0.25;
  const extra = r.next() < 0.3; // a column nobody asked for
  const header = extra ? 'ts,host,latency_ms,status,route' : 'ts,latency_ms,status,route';
  const lines = [header];
  let t = Date.UTC(2026, 10, 23, 10, 59, 0);
  for (let i = 0; i < rows; i++) {
    t += Math.floor(r.next() * 900);
    const d = new Date(t);
    const iso = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const ms = pad(d.getUTCMilliseconds(), 3);
    const odd = () => r.next() < unusual;
    const ts = odd()
      ? r.pick([`${iso}.${ms}456Z`, `${iso}.${ms[0]}z`, `${iso}.${ms.slice(0, 2)}+09:00`, `${iso}-0530`, `${iso}+00:00`, `"${iso}Z"`, `${iso}Z`, `${t}`, `"${t}"`, '2028-02-29T23:59:59.999-23:59', '2000-02-29T00:00:00Z', '0000-03-01T00:00:00Z'])
      : r.next() < 0.7
        ? `${iso}.${ms}Z`
        : `${t}`;
    const latency = odd()
      ? r.pick(['.5', '5.', '1e3', '"12.5"', '0.0', '000123.40', '123456789012345', '1234567890123456', '123456789012345.6'])
      : (Math.round(r.next() * 3000) / 10).toString();
    const status = odd() ? r.pick(['"404"', '200.0', '5e2', '503']) : r.pick(['200', '200', '200', '404', '503']);
    const route = odd()
      ? r.pick(['', '""', '"/b,c"', '"/x""y"', '/ü', '"/ü,v"', '/a b'])
      : r.pick(['/api/judge', '/readyz', '"/ops/cards/reason-trends,top-impact"', '/api/promote', '/h']);
    let line = extra ? `${ts},${r.pick(['a', '"b,1"', ''])},${latency},${status},${route}` : `${ts},${latency},${status},${route}`;
    if (r.next() < unusual / 4) lines.push(''); // a blank line before it
    if (r.next() < broken) {
      line = r.pick([
        line + ',extra',
        `${ts},${latency}`,
        `${Math.floor(t / 1000)},${latency},${status},${route}`, // epoch seconds
        `${iso}+24:00,${latency},${status},${route}`,
        `2026-02-30T00:00:00Z,${latency},${status},${route}`,
        `2100-02-29T00:00:00Z,${latency},${status},${route}`,
        `${iso}+01:60,${latency},${status},${route}`,
        `${t}0000,${latency},${status},${route}`, // 17 digits
        `${ts},123456789012345.67,${status},${route}`,
        `${ts},,${status},${route}`,
        `${ts},-1,${status},${route}`,
        `${ts},12.5.1,${status},${route}`,
        `${ts},${latency},ok,${route}`,
        `${ts},${latency},${status},"/multi\nline"`,
        `${ts},${latency},${status},/a"b`,
        `${ts},${latency},${status},/trailing\r`,
        `${line}\n${line}`, // a bare \n: its own line end only where the file's line end is \n
      ]);
    }
    lines.push(line);
  }
  const eol = crlf ? '\r\n' : '\n';
  return lines.join(eol) + (r.next() < 0.2 ? '' : eol);
}

/** Records the native reader read, harvest by harvest (FileRead.nativeRecords). */
const natively: number[] = [];

/**
 * The harvest with the native reader on or off: the document or the error, and how the file
 * was read (all but how many records the native reader read, which goes to `natively`).
 */
async function harvest(path: string, native: boolean): Promise<{ doc?: unknown; error?: string; read?: Omit<FileRead, 'nativeRecords'> }> {
  return withNative(native, async () => {
    try {
      let read: FileRead | undefined;
      const doc = await harvestFile(path, { kind: 'reqlog', windowMs: 30_000, onRead: (r) => (read = r) });
      const { nativeRecords, ...rest } = read!;
      natively.push(nativeRecords);
      return { doc, read: rest };
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
}

describe('native plain-line reader', () => {
  it('is built here and reads its sample as the JavaScript readers do', () => {
    expect(nativeScan()).not.toBeNull();
  });

  it('plain logs: the same evidence, nearly every line read natively, across many reads of the file', async () => {
    // 150,000 lines: several MB, so lines are carried from one 1 MiB read to the next.
    for (const [seed, rows] of [[1, 20_000], [2, 150_000], [3, 20_000]]) {
      const path = join(dir, `plain-${seed}.csv`);
      writeFileSync(path, log(seed, rows, 0, 0));
      natively.length = 0;
      const [native, js] = [await harvest(path, true), await harvest(path, false)];
      expect(native.error).toBeUndefined();
      expect(native).toEqual(js);
      expect(native.read).toMatchObject({ byteRecords: rows, slowRecords: 0, generalFrom: 'none' });
      // Natively but for the one line after each call's room (4,096 lines) and each read's first lines.
      expect(natively[0]).toBeGreaterThan(rows * 0.99);
      expect(natively[1]).toBe(0);
    }
  });

  it('cells in unusual forms that still read: the same evidence', async () => {
    for (let seed = 10; seed < 40; seed++) {
      const path = join(dir, `unusual-${seed}.csv`);
      writeFileSync(path, log(seed, 5_000, 0.05, 0));
      const [native, js] = [await harvest(path, true), await harvest(path, false)];
      expect(native, `seed ${seed}`).toEqual(js);
    }
  });

  it('broken lines among them: the same evidence or the same error, the same lines read slowly or handed off', async () => {
    const outcomes = { docs: 0, errors: 0, handedOff: 0, slow: 0 };
    for (let seed = 100; seed < 220; seed++) {
      const path = join(dir, `broken-${seed}.csv`);
      writeFileSync(path, log(seed, 3_000, 0.03, seed % 3 === 0 ? 0.001 : 0.0002));
      const [native, js] = [await harvest(path, true), await harvest(path, false)];
      expect(native, `seed ${seed}`).toEqual(js);
      if (native.error) outcomes.errors++;
      else outcomes.docs++;
      if (native.read && native.read.generalFrom !== 'none') outcomes.handedOff++;
      if (native.read && native.read.slowRecords > 0) outcomes.slow++;
    }
    // The logs really were of every kind: some read whole, some failing, some handed off, some slow.
    expect(outcomes.docs).toBeGreaterThan(10);
    expect(outcomes.errors).toBeGreaterThan(10);
    expect(outcomes.handedOff).toBeGreaterThan(5);
    expect(outcomes.slow).toBeGreaterThan(5);
  });

  it('a \\r\\n log with a bare \\n, a stray \\r, no line end or a lone \\r at the end: read as the JavaScript scanner reads it', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${1_795_431_600_000 + i * 250},${(i % 50) + 0.5},${i % 9 ? 200 : 503},/r${i % 4}`);
    const variants = {
      bareLf: ['ts,latency_ms,status,route', ...rows.slice(0, 200), `${rows[200]}\n${rows[201]}`, ...rows.slice(202)].join('\r\n') + '\r\n',
      strayCr: ['ts,latency_ms,status,route', ...rows.slice(0, 300), `${rows[300]}\r`, ...rows.slice(301)].join('\r\n') + '\r\n',
      noLastLineEnd: ['ts,latency_ms,status,route', ...rows].join('\r\n'),
      lfNoLastLineEnd: ['ts,latency_ms,status,route', ...rows].join('\n'),
      endsInLoneCr: ['ts,latency_ms,status,route', ...rows].join('\r\n') + '\r',
    };
    for (const [name, text] of Object.entries(variants)) {
      const path = join(dir, `${name}.csv`);
      writeFileSync(path, text);
      const [native, js] = [await harvest(path, true), await harvest(path, false)];
      expect(native, name).toEqual(js);
    }
  });

  it('more routes than it keeps numbers for: the rest are found line by line, to the same evidence', async () => {
    const lines = ['ts,latency_ms,status,route'];
    for (let i = 0; i < 5_000; i++) lines.push(`${1_795_431_600_000 + i * 10},${i % 97}.5,${i % 11 ? 200 : 503},/route/${i % 150}`);
    const path = join(dir, 'routes.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const [native, js] = [await harvest(path, true), await harvest(path, false)];
    expect(Object.keys((native.doc as { routes: object }).routes)).toHaveLength(150);
    expect(native).toEqual(js);
  });
});
