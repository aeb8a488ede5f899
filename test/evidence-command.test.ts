// Evidence: the harvest command, called as a module with a fake Io and as the built binary.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harvestCommand, parseColumns } from '../src/cli/commands/harvest.js';
import { bin, cli, root } from './support/cli.js';
import type { Io } from '../src/cli/main.js';
import { UsageError } from '../src/cli/errors.js';
import { readEvidence } from '../src/evidence/store.js';
import { useEvidenceDir, T, sha, dir, file, ledger, HEADER, BASIC } from './support/evidence-files.js';

useEvidenceDir();

function fakeIo(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream,
    env: { OPSCOCKPIT_OPERATOR: 'ana' },
    out: () => out,
    err: () => err,
  };
}

describe('opscockpit harvest (module, fake Io)', () => {
  it('writes v1 WIP, prints the summary and records a run of its own', async () => {
    const csv = file('reqlog.csv', BASIC);
    const out = join(dir, 'evidence', 'perf.json');
    const db = join(dir, 'ledger.db');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db], io)).toBe(0);
    expect(io.err()).toBe('');
    const text = io.out();
    const hash = sha(readFileSync(out));
    for (const part of ['samples     6', 'p95         300 ms', 'p99         300 ms', 'error rate  33.33% (2 of 6)', 'windows     2 × 60s', 'routes      3', `evidence ${out} v1 WIP`, `sha256      ${hash}`])
      expect(text).toContain(part);
    const l = ledger();
    const [run] = l.listRuns(5);
    expect(run).toMatchObject({ name: 'evidence harvest (reqlog)', status: 'succeeded' });
    expect(l.events(run.runId).map((e) => [e.operator, e.body])).toEqual([
      ['ana', { kind: 'evidence.recorded', path: out, sha256: hash, version: 1, state: 'WIP', samples: 6 }],
    ]);
  });

  it('--lock, then a new harvest makes v2 and keeps v1; options --columns, --window, --error-status', async () => {
    const csv = file('judge.csv', 'time,lat,code\n2026-11-23T10:00:01Z,5,200\n2026-11-23T10:00:31Z,9,404\n');
    const out = join(dir, 'perf_judge.json');
    const db = join(dir, 'ledger.db');
    const args = ['judgelog', csv, '--out', out, '--ledger', db, '--columns', 'ts=time,latency_ms=lat,status=code', '--window', '30s', '--error-status', '400'];
    const io1 = fakeIo();
    expect(await harvestCommand([...args, '--lock'], io1)).toBe(0);
    expect(io1.out()).toContain(`evidence ${out} v1 LOCKED`);
    expect(io1.out()).toContain('windows     2 × 30s');
    expect(io1.out()).toContain('error rate  50.00% (1 of 2)');
    const io2 = fakeIo();
    expect(await harvestCommand(args, io2)).toBe(0);
    expect(io2.out()).toContain(`evidence ${out} v2 WIP`);
    expect(io2.out()).toContain(`kept        LOCKED v1 as ${join(dir, 'perf_judge-v1.json')}`);
    expect(readEvidence(out)).toMatchObject({ kind: 'judgelog', window_ms: 30_000, version: 2, state: 'WIP' });
  });

  it('records into a given run; an unknown run is an error', async () => {
    const db = join(dir, 'ledger.db');
    const l = ledger();
    const run = l.startRun({ runbook: '/rb.yaml', name: 'cutover' }, T);
    const csv = file('reqlog.csv', BASIC);
    const out = join(dir, 'latest.json');
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db, '--run', run.runId], fakeIo())).toBe(0);
    expect(l.events(run.runId).map((e) => e.body.kind)).toEqual(['evidence.recorded']);
    expect(l.listRuns(10)).toHaveLength(1);
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', db, '--run', 'r-nope'], io)).toBe(1);
    expect(io.err()).toContain('no run r-nope in the ledger');
  });

  it('exits 1 with one line and no stack on a bad log, and writes nothing', async () => {
    const csv = file('reqlog.csv', HEADER + '2026-11-23T10:00:01Z,5,200,/a\n2026-11-23T10:00:02Z,abc,200,/a\n');
    const out = join(dir, 'perf.json');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', join(dir, 'ledger.db')], io)).toBe(1);
    expect(io.err()).toBe(`opscockpit: ${csv} line 3: latency_ms is "abc", not a number\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 on 0 samples, after writing and recording the evidence', async () => {
    const csv = file('reqlog.csv', HEADER);
    const out = join(dir, 'perf.json');
    const io = fakeIo();
    expect(await harvestCommand(['reqlog', csv, '--out', out, '--ledger', join(dir, 'ledger.db')], io)).toBe(2);
    expect(io.out()).toContain('p95         n/a');
    expect(io.out().trimEnd().split('\n').at(-1)).toBe('insufficient data: 0 samples');
    expect(readEvidence(out)).toMatchObject({ overall: { samples: 0, p95_ms: null }, version: 1 });
  });

  it('usage mistakes are UsageErrors; --help prints the usage', async () => {
    const csv = file('reqlog.csv', BASIC);
    for (const args of [[], ['access', csv], ['reqlog'], ['reqlog', csv], ['reqlog', csv, '--out', 'x.json', '--window', 'soon'], ['reqlog', csv, '--out', 'x.json', '--error-status', '5000'], ['reqlog', csv, '--out', 'x.json', '--columns', 'when=t'], ['reqlog', csv, '--out', 'x.json', '--columns', '__proto__=ts'], ['reqlog', csv, '--out', 'x.json', '--columns', 'constructor=ts'], ['reqlog', csv, '--bogus']])
      await expect(harvestCommand(args, fakeIo()), args.join(' ')).rejects.toBeInstanceOf(UsageError);
    const io = fakeIo();
    expect(await harvestCommand(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: opscockpit harvest reqlog\|judgelog FILE\.csv/);
    expect(parseColumns('ts=time, latency=lat,route=path')).toEqual({ ts: 'time', latency: 'lat', route: 'path' });
  });
});

describe('opscockpit harvest (built binary)', () => {
  it('loads its own bundle only: no Ink, React, YAML, zod or runbook code', async () => {
    // Module hooks log every module the process resolves.
    const log = join(dir, 'modules.log');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      "import { appendFileSync } from 'node:fs';\n" +
        'export async function resolve(specifier, context, next) {\n' +
        '  const found = await next(specifier, context);\n' +
        `  appendFileSync(${JSON.stringify(log)}, found.url + '\\n');\n` +
        '  return found;\n' +
        '}\n',
    );
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const csv = file('reqlog.csv', BASIC);
    const run = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), bin, 'harvest', 'reqlog', csv, '--out', join(dir, 'perf.json'), '--ledger', join(dir, 'l.db')], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const loaded = readFileSync(log, 'utf8').trim().split('\n');
    expect(loaded.filter((url) => url.includes('/dist/')).map((url) => url.replace(/.*\/dist\//, ''))).toEqual(['harvest.js']);
    // And that one file holds none of them (they are bundled, so named by their code).
    const bundle = readFileSync(join(root, 'dist', 'harvest.js'), 'utf8');
    for (const marker of ['ZodError', 'YAMLParseError', 'useInput', 'Yoga', 'mdast']) expect(bundle, marker).not.toContain(marker);
  });

  it('exits 0 with the summary, 1 with one line on a bad log, 2 on no samples', async () => {
    const db = join(dir, 'ledger.db');
    const ok = await cli(['harvest', 'reqlog', file('reqlog.csv', BASIC), '--out', 'evidence/latest.json', '--ledger', db], { cwd: dir });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('evidence evidence/latest.json v1 WIP');
    expect(ok.stdout).toContain(`sha256      ${sha(readFileSync(join(dir, 'evidence', 'latest.json')))}`);

    const bad = await cli(['harvest', 'reqlog', file('bad.csv', HEADER + 'soon,5,200,/a\n'), '--out', 'x.json', '--ledger', db], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`opscockpit: ${join(dir, 'bad.csv')} line 2: ts is "soon", not an ISO 8601 time or epoch milliseconds\n`);

    const none = await cli(['harvest', 'judgelog', file('empty.csv', ''), '--out', 'judge.json', '--ledger', db], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('insufficient data: 0 samples');

    const usage = await cli(['harvest', 'reqlog', '--out', 'x.json'], { cwd: dir });
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/^opscockpit: missing the reqlog CSV file\(s\) to harvest\nUsage: opscockpit harvest/);
  });
});
