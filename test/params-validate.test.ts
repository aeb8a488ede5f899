// A declared parameter satisfies a ${NAME} reference in targets and release metadata: its value
// is given when the run starts (--param, the cockpit's form), so `validate` and the first load
// accept it, and a run without it needs a person (exit 2) instead of failing on an unset
// environment variable. `validate` takes --param and --choose like the commands that start runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunbook, RunbookError } from '../src/runbook/load.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { cli } from './support/cli.js';

const YAML = ['version: 1', 'name: p', 'params:', '  RELEASE: { description: the release tag, pattern: "v[0-9]+" }', 'targets:', '  api: http://127.0.0.1:18089/${RELEASE}', 'release: { backlog_id: "${RELEASE}" }', 'checklists:', '  preflight:', '    - { id: a, title: A, confirm: true }', ''].join('\n');

describe('a parameter in a target', () => {
  it('loads without its value (kept as written until the run starts), and with it filled in', () => {
    expect(parseRunbook(YAML, 'p.yaml', {}).targets.api).toBe('http://127.0.0.1:18089/${RELEASE}');
    expect(parseRunbook(YAML, 'p.yaml', {}, { RELEASE: 'v7' }).targets.api).toBe('http://127.0.0.1:18089/v7');
  });

  it('in Markdown front matter too', () => {
    const md = ['---', 'title: T', 'opscockpit:', '  params:', '    RELEASE: { description: tag }', '  targets:', '    api: http://127.0.0.1:18089/${RELEASE}', '---', '', '# T', '', '1. Do it', ''].join('\n');
    expect(parseMarkdownRunbook(md, 't.md', {}).targets.api).toBe('http://127.0.0.1:18089/${RELEASE}');
  });

  it('an undeclared name is still an unset variable, and a target that is no URL once filled in is still refused', () => {
    const undeclared = YAML.replace('${RELEASE}', '${OTHER}');
    expect(() => parseRunbook(undeclared, 'p.yaml', {})).toThrow(/environment variable OTHER is not set/);
    const bad = YAML.replace('http://127.0.0.1:18089/${RELEASE}', 'ftp://${RELEASE}');
    try {
      parseRunbook(bad, 'p.yaml', {});
      expect.unreachable();
    } catch (e) {
      expect((e as RunbookError).issues.map((i) => i.message)).toEqual([expect.stringMatching(/^target "api" must be an http:\/\/ or https:\/\/ URL/)]);
    }
  });
});

describe('validate and run through the binary', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oc-params-validate-'));
    file = join(dir, 'p.yaml');
    writeFileSync(file, YAML);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('validate accepts the declared parameter, takes --param and --choose, and checks the values given', async () => {
    expect(await cli(['validate', file])).toMatchObject({ code: 0, stdout: expect.stringContaining('valid') });
    expect(await cli(['validate', file, '--param', 'RELEASE=v2'])).toMatchObject({ code: 0, stdout: expect.stringContaining('valid') });
    const bad = await cli(['validate', file, '--param', 'RELEASE=latest']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe('opscockpit: parameter RELEASE: "latest" does not match v[0-9]+');
    const choice = await cli(['validate', file, '--choose', 'os=linux']);
    expect(choice.stderr.split('\n')[0]).toBe('opscockpit: the runbook has no choice "os" (it offers no choices)');
  });

  it('run without the value needs a person (exit 2, naming --param), never "environment variable is not set"', async () => {
    const r = await cli(['run', file, '--yes', '--ledger', join(dir, 'l.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a person: a parameter has no value');
    expect(r.stderr).not.toContain('is not set');
  });
});
