// A parameter's value is one line of text. A newline in `--param RELEASE=…` once forged a line
// of `ledger show` that read like an approval by someone else; a control character in a value
// is refused wherever a value enters (--param, --choose, the cockpit's form: valueProblem), a
// name given twice with different values is a usage error, and `ledger show` and the reports
// show a line end inside a recorded field as ␊, never as a new line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { parseChooseArgs } from '../src/runbook/choices.js';
import { parseParamArgs } from '../src/runbook/params.js';
import { valueProblem } from '../src/runbook/schema-params.js';
import { cli } from './support/cli.js';

const FORGED = 'v1\n06:44:05.603 #3     alice      step:deploy approved by alice';

describe('control characters in values', () => {
  it('valueProblem refuses a newline, a CR, an ESC in any value; a secret may hold line ends and tabs', () => {
    expect(valueProblem({ type: 'string' }, FORGED)).toBe('holds a line end (newline) at character 3: a value is one line of text without control characters');
    expect(valueProblem({ type: 'string' }, 'a\rb')).toMatch(/^holds a carriage return at character 2/);
    expect(valueProblem({ type: 'enum', values: ['eu'] }, '\u001b]0;pwned\u0007')).toMatch(/^holds an escape \(ESC\) at character 1/);
    expect(valueProblem({ type: 'string' }, 'a\u202eb')).toMatch(/U\+202E/);
    expect(valueProblem({ type: 'string' }, 'v1.2.3 — ünïcode ok')).toBeUndefined();
    expect(valueProblem({ type: 'secret' }, '-----BEGIN KEY-----\nabc\n-----END KEY-----\n')).toBeUndefined();
    expect(valueProblem({ type: 'secret' }, 'pw\u001b[2J')).toMatch(/ESC/);
  });

  it('a name given twice with different values is a problem, not "last wins"; the same value twice is fine', () => {
    expect(parseParamArgs(['A=1', 'A=2']).problems).toEqual(['--param A is given twice with different values: give it once']);
    expect(parseParamArgs(['A=1', 'A=1'])).toEqual({ given: { A: '1' }, problems: [] });
    expect(parseChooseArgs(['os=linux', 'os=macos'], undefined).problems).toEqual(['--choose os is given twice with different values: give it once']);
    // The environment's choice is overridden by --choose: that is not a repeat.
    expect(parseChooseArgs(['os=linux'], 'os=macos')).toEqual({ given: { os: 'linux' }, problems: [] });
    expect(parseChooseArgs(['os=linux\nx'], undefined).problems).toEqual(['--choose os: the option holds a line end (newline) at character 6: a value is one line of text without control characters']);
  });
});

describe('through the binary', () => {
  let dir: string;
  let file: string;
  const ledger = () => join(dir, 'ledger.db');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-params-control-'));
    file = join(dir, 'p.yaml');
    writeFileSync(file, ['version: 1', 'name: p', 'params:', '  RELEASE: { description: tag }', 'checklists:', '  preflight:', '    - { id: a, title: A, confirm: true }', ''].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const oc = (args: string[]) => cli([...args, '--ledger', ledger()], { env: { OPSCOCKPIT_OPERATOR: 'root' } });

  it('--param with a newline is refused before anything is recorded; a repeated --param is a usage error', async () => {
    const r = await oc(['run', file, '--yes', '--confirm', 'a', '--param', `RELEASE=${FORGED}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('opscockpit: parameter RELEASE: holds a line end (newline) at character 3: a value is one line of text without control characters');
    const twice = await oc(['run', file, '--yes', '--confirm', 'a', '--param', 'RELEASE=a', '--param', 'RELEASE=b']);
    expect(twice.code).toBe(1);
    expect(twice.stderr.split('\n')[0]).toBe('opscockpit: --param RELEASE is given twice with different values: give it once');
    expect((await oc(['ledger', 'list'])).stdout).not.toMatch(/r-\d/);
  });

  it('ledger show and the incident report show a line end recorded in a field as ␊, never as a line of its own', async () => {
    // A ledger written before values were checked (or by another tool): the field holds a newline.
    const l = openLedger(ledger());
    const run = l.startRun({ runbook: file, name: 'p' }, Date.now());
    l.append(run.runId, 'root', { kind: 'run.params', params: { RELEASE: FORGED } }, Date.now());
    l.append(run.runId, 'root', { kind: 'step.skipped', phase: 'preflight', step: 'a', reason: 'line one\r\nline two' } as never, Date.now());
    l.close();
    const show = await oc(['ledger', 'show', run.runId]);
    expect(show.code).toBe(0);
    const lines = show.stdout.split('\n');
    expect(lines.some((x) => x.includes('parameters: RELEASE=v1␊06:44:05.603 #3     alice      step:deploy approved by alice'))).toBe(true);
    expect(lines.filter((x) => x.startsWith('06:44:05.603'))).toEqual([]);
    expect(show.stdout).toContain('skipped — line one␍␊line two');
    const report = await oc(['report', run.runId, '--timeline']);
    expect(report.stdout).toContain('RELEASE=v1␊06:44:05.603');
    expect(report.stdout.split('\n').filter((x) => x.startsWith('06:44:05.603'))).toEqual([]);
  });
});
