// Runbook parameters: declared under params: (YAML, or opscockpit: in Markdown front matter),
// validated with the runbook, given headless with --param, recorded at run start with secret
// ones masked, and read by scripts as environment variables and by targets as ${NAME}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunbook, RunbookError } from '../src/runbook/load.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { checkParams, parseParamArgs, recordedParams, shownParams, withParamValues } from '../src/runbook/params.js';
import type { ScriptCheck } from '../src/runbook/model.js';
import { cli } from './support/cli.js';

const HEAD = ['version: 1', 'name: Params'];
const PARAMS = [
  'params:',
  '  region: { type: enum, values: [eu, us], default: eu, description: Where to deploy }',
  '  ticket: { description: Change ticket, pattern: "CHG-[0-9]+" }',
  '  dry: { type: bool, default: false }',
  '  db_password: { type: secret, description: Database password }',
];
const BODY = [
  'targets:',
  '  app: "http://${region}.example.test:8080"',
  'release: { backlog_id: "${ticket:-none}" }',
  'checks:',
  '  show:',
  '    script: { command: bash, args: [-c, "echo ticket=$ticket region=$region dry=$dry pw=$db_password"] }',
  '  auth:',
  '    http: { target: app, path: /x, headers: { Authorization: "Bearer ${db_password}" } }',
  'checklists:',
  '  preflight:',
  '    - { id: show, check: show }',
];
const runbook = (lines: string[]) => [...HEAD, ...lines].join('\n') + '\n';

function problems(text: string): { line: number; path: string; message: string }[] {
  try {
    parseRunbook(text, 'params.yaml', {});
  } catch (e) {
    if (e instanceof RunbookError) return e.issues.map(({ line, path, message }) => ({ line, path, message }));
    throw e;
  }
  return [];
}

describe('params: in the schema', () => {
  it('a valid declaration loads; values come from what is given, else the default', () => {
    const rb = parseRunbook(runbook([...PARAMS, ...BODY]), 'params.yaml', {}, { ticket: 'CHG-7', db_password: 'hunter2' });
    expect(rb.params).toEqual([
      { name: 'region', type: 'enum', values: ['eu', 'us'], default: 'eu', description: 'Where to deploy', value: 'eu' },
      { name: 'ticket', type: 'string', pattern: 'CHG-[0-9]+', description: 'Change ticket', value: 'CHG-7' },
      { name: 'dry', type: 'bool', default: 'false', value: 'false' },
      { name: 'db_password', type: 'secret', description: 'Database password', value: 'hunter2' },
    ]);
    // Targets and release metadata read parameters as ${NAME}; a secret parameter is a declared secret.
    expect(rb.targets.app).toBe('http://eu.example.test:8080');
    expect(rb.release.backlogId).toBe('CHG-7');
    expect(rb.secrets).toContain('db_password');
    // Every script gets every parameter as an environment variable.
    expect((rb.checks.show as ScriptCheck).passEnv).toEqual(['region', 'ticket', 'dry', 'db_password']);
  });

  it('a parameter is never read from the operator\'s shell', () => {
    const rb = parseRunbook(runbook([...PARAMS, ...BODY]), 'params.yaml', { region: 'us', ticket: 'CHG-1' });
    expect(rb.targets.app).toBe('http://eu.example.test:8080');
    expect(rb.params.find((p) => p.name === 'ticket')?.value).toBeUndefined();
    expect(rb.release.backlogId).toBe('none');
  });

  it('each bad declaration is one problem at its line and field', () => {
    const bad = runbook([
      'params:',
      '  env: { type: enum }',
      '  size: { type: enum, values: [s, m], default: xl }',
      '  token: { type: secret, default: abc }',
      '  id: { pattern: "([a-z" }',
      '  flag: { type: bool, default: maybe }',
      '  "bad-name": { type: string }',
      '  kind: { type: text }',
      '  color: { values: [red] }',
      'checklists: { preflight: [{ id: a, manual: true }] }',
    ]);
    const found = problems(bad);
    expect(found).toEqual([
      expect.objectContaining({ line: 4, path: 'params.env.type', message: 'an enum parameter lists its values: under values:' }),
      expect.objectContaining({ line: 5, path: 'params.size.default', message: 'the default "xl" is not one of s, m' }),
      expect.objectContaining({ line: 6, path: 'params.token.default', message: expect.stringMatching(/^a secret parameter has no default/) }),
      expect.objectContaining({ line: 7, path: 'params.id.pattern', message: expect.stringMatching(/^not a regular expression/) }),
      expect.objectContaining({ line: 8, path: 'params.flag.default', message: 'the default "maybe" is not true or false' }),
      expect.objectContaining({ line: 9, path: 'params.bad-name', message: '"bad-name": parameter names are environment variable names: letters, digits and "_"' }),
      expect.objectContaining({ line: 10, path: 'params.kind.type', message: 'type is string, enum, bool or secret, got "text"' }),
      expect.objectContaining({ line: 11, path: 'params.color.values', message: 'values: is only for type: enum' }),
    ]);
  });
});

describe('parameter values', () => {
  const rb = (given: Record<string, string>) => parseRunbook(runbook([...PARAMS, ...BODY]), 'params.yaml', {}, given);

  it('checks what is given: unknown names, bad values, what is missing', () => {
    expect(checkParams(rb({ ticket: 'CHG-1', db_password: 'x' }).params, { ticket: 'CHG-1', db_password: 'x' })).toEqual({ unknown: [], invalid: [], missing: [] });
    const given = { region: 'mars', ticket: 'chg-1', dry: 'yes', colour: 'red' };
    const check = checkParams(rb(given).params, given);
    expect(check.unknown).toEqual(['colour']);
    expect(check.invalid).toEqual(['parameter region: "mars" is not one of eu, us', 'parameter ticket: "chg-1" does not match CHG-[0-9]+', 'parameter dry: "yes" is not true or false']);
    expect(check.missing.map((p) => p.name)).toEqual(['db_password']);
  });

  it('a secret value never appears in what is recorded or shown', () => {
    const params = rb({ ticket: 'CHG-1', db_password: 'hunter2' }).params;
    expect(recordedParams(params)).toEqual({ region: 'eu', ticket: 'CHG-1', dry: 'false', db_password: '***' });
    expect(shownParams(params)).toBe('region=eu ticket=CHG-1 dry=false db_password=***');
    expect(withParamValues(params, { PATH: '/bin', region: 'us' })).toEqual({ PATH: '/bin', region: 'eu', ticket: 'CHG-1', dry: 'false', db_password: 'hunter2' });
    expect(parseParamArgs(['a=1', 'b==2', 'c', '=d'])).toEqual({ given: { a: '1', b: '=2' }, problems: ['--param c: write --param NAME=VALUE', '--param =d: write --param NAME=VALUE'] });
  });

  it('Markdown front matter declares them under opscockpit:, and the shell block reads them', () => {
    const md = ['---', 'title: Rotate', 'opscockpit:', '  params:', '    ticket: { pattern: "CHG-[0-9]+" }', '---', '', '## Steps', '', '1. Rotate', '   ```bash', '   echo "$ticket"', '   ```', ''].join('\n');
    const r = parseMarkdownRunbook(md, 'rotate.md', {}, { ticket: 'CHG-3' });
    expect(r.params).toEqual([{ name: 'ticket', type: 'string', pattern: 'CHG-[0-9]+', value: 'CHG-3' }]);
    const scripts = Object.values(r.checks).filter((c): c is ScriptCheck => c.kind === 'script');
    expect(scripts.map((c) => [c.args, c.passEnv])).toEqual([[['-c', 'echo "$ticket"'], ['ticket']]]);
  });
});

describe('--param through the binary', () => {
  let dir: string;
  let file: string;
  const SECRET = 'pw-7f3c91d2e4';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-params-'));
    file = join(dir, 'params.yaml');
    writeFileSync(file, runbook([...PARAMS, ...BODY]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ledger = () => join(dir, 'ledger.db');
  const oc = (args: string[], env: NodeJS.ProcessEnv = {}) => cli([...args, '--ledger', ledger()], { env: { OPSCOCKPIT_OPERATOR: 'alice', ...env } });

  it('check: the values reach the script, the run records them, the secret is masked in output and in the ledger file', async () => {
    const r = await oc(['check', file, '--json', '--param', 'ticket=CHG-42', '--param', `db_password=${SECRET}`, '--param', 'region=us']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ticket=CHG-42 region=us dry=false pw=***');
    expect(r.stdout).not.toContain(SECRET);
    const doc = JSON.parse((await oc(['ledger', '--json'])).stdout);
    const events = doc.runs[0].events.map((e: { body: unknown }) => e.body);
    expect(events.slice(0, 2)).toEqual([expect.objectContaining({ kind: 'run.started' }), { kind: 'run.params', params: { region: 'us', ticket: 'CHG-42', dry: 'false', db_password: '***' } }]);
    expect(doc.runs[0].backlogId).toBe('CHG-42');
    expect(readFileSync(ledger()).includes(SECRET)).toBe(false);
  });

  it('a parameter without a value needs a person: exit 2, naming --param for each', async () => {
    const r = await oc(['run', file, '--param', 'ticket=CHG-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('opscockpit: needs a person: a parameter has no value');
    expect(r.stderr).toContain('db_password: Database password');
    expect(r.stderr).toMatch(/give it: opscockpit run \S+params\.yaml --param db_password=…/);
    const both = await oc(['act', file, 'nothing', '--yes']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give them: opscockpit act \S+params\.yaml nothing --param ticket=… --param db_password=…/);
    // Without a terminal the cockpit cannot ask (its form): it does not start, and says how to give them.
    const open = await oc(['open', file, '--param', 'region=us']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/give them: opscockpit open \S+params\.yaml --param ticket=… --param db_password=…/);
  });

  it('a bad value, an unknown name or a malformed --param is one clear error', async () => {
    const bad = await oc(['check', file, '--param', 'region=mars', '--param', 'ticket=CHG-1', '--param', `db_password=${SECRET}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe('opscockpit: parameter region: "mars" is not one of eu, us');
    const secret = await oc(['check', file, '--param', 'ticket=CHG-1', '--param', `db_password=${SECRET}`, '--param', 'tiket=x']);
    expect(secret.stderr.split('\n')[0]).toBe('opscockpit: the runbook has no parameter "tiket" (parameters: region, ticket, dry, db_password)');
    const malformed = await oc(['run', file, '--param', 'ticket']);
    expect(malformed.stderr.split('\n')[0]).toBe('opscockpit: --param ticket: write --param NAME=VALUE');
    for (const r of [bad, secret, malformed]) expect(r.stderr).not.toContain(SECRET);
  });
});
