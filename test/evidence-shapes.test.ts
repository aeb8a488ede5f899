// The byte scanner (scan-bytes.ts) against the general parser (scan-general.ts) on generated
// logs of every shape: the same evidence or the same error, whichever reads which lines.
import { describe, expect, it } from 'vitest';
import { seeded } from './support/random.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harvestFile, type FileRead } from '../src/evidence/harvest.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-scan-shapes-'));

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

/** One harvest by the byte scanner (handing off where it must) or by the general parser alone: the document or the error. */
async function harvest(path: string, parser: 'bytes' | 'general'): Promise<{ doc?: unknown; error?: string; read?: FileRead }> {
  try {
    let read: FileRead | undefined;
    const doc = await harvestFile(path, { kind: 'reqlog', windowMs: 30_000, parser, onRead: (r) => (read = r) });
    return { doc, read };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Both readers over one file: they must agree; returns how the byte scanner read it. */
async function agree(path: string, what: string) {
  const [bytes, general] = [await harvest(path, 'bytes'), await harvest(path, 'general')];
  expect(bytes.error, what).toBe(general.error);
  expect(bytes.doc, what).toEqual(general.doc);
  return bytes;
}

describe('byte scanner and general parser on logs of every shape', () => {
  it('plain logs, across many reads of the file: the same evidence, every line read by the byte scanner', async () => {
    // 150,000 lines: several MB, so lines are carried from one 1 MiB read to the next.
    for (const [seed, rows] of [[1, 20_000], [2, 150_000]]) {
      const path = join(dir, `plain-${seed}.csv`);
      writeFileSync(path, log(seed, rows, 0, 0));
      const bytes = await agree(path, `seed ${seed}`);
      expect(bytes.read).toMatchObject({ byteRecords: rows, slowRecords: 0, generalFrom: 'none' });
    }
  });

  it('cells in unusual forms that still read: the same evidence', async () => {
    for (let seed = 10; seed < 25; seed++) {
      const path = join(dir, `unusual-${seed}.csv`);
      writeFileSync(path, log(seed, 5_000, 0.05, 0));
      expect((await agree(path, `seed ${seed}`)).error, `seed ${seed}`).toBeUndefined();
    }
  });

  it('broken lines among them: the same evidence or the same error', async () => {
    const outcomes = { docs: 0, errors: 0, handedOff: 0, slow: 0 };
    for (let seed = 100; seed < 180; seed++) {
      const path = join(dir, `broken-${seed}.csv`);
      writeFileSync(path, log(seed, 3_000, 0.03, seed % 3 === 0 ? 0.001 : 0.0002));
      const bytes = await agree(path, `seed ${seed}`);
      if (bytes.error) outcomes.errors++;
      else outcomes.docs++;
      if (bytes.read && bytes.read.generalFrom !== 'none') outcomes.handedOff++;
      if (bytes.read && bytes.read.slowRecords > 0) outcomes.slow++;
    }
    // The logs really were of every kind: some read whole, some failing, some handed off, some slow.
    expect(outcomes.docs).toBeGreaterThan(5);
    expect(outcomes.errors).toBeGreaterThan(5);
    expect(outcomes.handedOff).toBeGreaterThan(3);
    expect(outcomes.slow).toBeGreaterThan(3);
  });

  it('a \\r\\n log with a bare \\n, a stray \\r, no line end or a lone \\r at the end', async () => {
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
      await agree(path, name);
    }
  });

  it('many routes (past the route cache and the first table size): the same evidence', async () => {
    const lines = ['ts,latency_ms,status,route'];
    for (let i = 0; i < 5_000; i++) lines.push(`${1_795_431_600_000 + i * 10},${i % 97}.5,${i % 11 ? 200 : 503},/route/${i % 150}`);
    const path = join(dir, 'routes.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const bytes = await agree(path, 'routes');
    expect(Object.keys((bytes.doc as { routes: object }).routes)).toHaveLength(150);
    expect(bytes.read).toMatchObject({ byteRecords: 5_000, generalFrom: 'none' });
  });
});
