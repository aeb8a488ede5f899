// A value a Markdown block needs that the runbook never declared (`<POD_NAME>`, an unset
// `$VAR`) is a parameter asked at its step: headless it is given with --param (and a run
// without it stops at that step, naming the flag); it is recorded with the run; it is never
// asked before the run starts, and a value in the operator's environment defines it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../src/runbook/load.js';
import '../src/runbook/markdown/load.js';
import { checkParams } from '../src/runbook/params.js';
import { startForm } from '../screens/start-form.js';
import { openLedger } from '../adapters/ledger.js';
import { cli } from './support/cli.js';

function runbook(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'oc-placeholder-'));
  const file = join(dir, 'logs.md');
  writeFileSync(file, ['# Logs', '', '## Before', '', '1. List the pods.', '', '2. Save the logs of one:', '', '   ```bash', '   echo "pod=<POD_NAME> ns=$NAMESPACE" > seen', '   ```', ''].join('\n'));
  return { dir, file };
}

describe('placeholders as parameters asked at their step', () => {
  it('are declared with the step that needs them, never missing at the start, and never in the start form', () => {
    const { file } = runbook();
    const rb = loadRunbook(file, {});
    expect(rb.params.map((p) => [p.name, p.atStep, p.value])).toEqual([
      ['POD_NAME', 'Save the logs of one:', undefined],
      ['NAMESPACE', 'Save the logs of one:', undefined],
    ]);
    expect(checkParams(rb.params, {}).missing).toEqual([]);
    expect(startForm(rb, { params: {}, choose: {} }).fields).toEqual([]);
    // The operator's environment defines one; --param gives the other.
    const given = loadRunbook(file, { NAMESPACE: 'jobs' }, { POD_NAME: 'w-1' });
    expect(given.params.map((p) => p.value)).toEqual(['w-1', 'jobs']);
  });

  it('headless: a run without the value stops at the step naming --param; with it the block gets it and the run records it', async () => {
    const { dir, file } = runbook();
    const env = { OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', OPSCOCKPIT_OPERATOR: 'night-sre' };
    const ledger = join(dir, 'l.db');
    const without = await cli(['run', file, '--yes', '--confirm', 'before-1', '--ledger', ledger], { env, cwd: dir });
    expect(without.code).toBe(2);
    expect(without.stdout).toContain('NEEDS_VALUE: needs a value for POD_NAME, NAMESPACE');
    expect(without.stdout).toContain('give them: --param POD_NAME=… --param NAMESPACE=…');
    const withIt = await cli(['run', file, '--yes', '--confirm', 'before-1', '--ledger', ledger, '--param', 'POD_NAME=w-7', '--param', 'NAMESPACE=jobs'], { env, cwd: dir });
    expect(withIt.stderr).toBe('');
    expect(withIt.code).toBe(0);
    expect(readFileSync(join(dir, 'seen'), 'utf8')).toBe('pod=w-7 ns=jobs\n');
    const l = openLedger(ledger, { readOnly: true });
    try {
      const [run] = l.listRuns(1);
      const recorded = l.events(run.runId).filter((e) => e.body.kind === 'run.params').at(-1);
      expect(recorded?.body).toEqual({ kind: 'run.params', params: { POD_NAME: 'w-7', NAMESPACE: 'jobs' } });
    } finally {
      l.close();
    }
  });

  it('validate --outline says the value is asked when its step comes', async () => {
    const { file } = runbook();
    const r = await cli(['validate', file, '--outline']);
    expect(r.stdout).toContain('POD_NAME (string) asked when its step comes — needed by "Save the logs of one:"');
    expect(r.stdout).toContain('needs a value for POD_NAME, NAMESPACE');
  });
});

describe('the command as it will run', () => {
  it('shows parameter values filled in, a secret one by its name (as it runs, never its value), and a value still to be given as written', async () => {
    const { withValues } = await import('../screens/step-command.js');
    const lines = withValues(['kubectl -n $NS logs ${POD_NAME} --tail=50', 'curl -H "Authorization: Bearer ${TOKEN}" "$API/x"', 'echo $HOME'], [
      { name: 'NS', type: 'string', value: 'jobs' },
      { name: 'POD_NAME', type: 'string', atStep: 'Read its logs:' },
      { name: 'TOKEN', type: 'secret', value: 's3cr3t-value' },
      { name: 'API', type: 'string', value: 'https://api.example' },
    ]);
    expect(lines).toEqual(['kubectl -n jobs logs ${POD_NAME} --tail=50', 'curl -H "Authorization: Bearer ${TOKEN}" "https://api.example/x"', 'echo $HOME']);
    expect(lines.join('\n')).not.toContain('s3cr3t');
  });

  it('masks a credential written in a line, but not a variable whose name only looks like one', async () => {
    const { maskCredentials } = await import('../screens/step-command.js');
    expect(maskCredentials('mysql -u app --password=hunter2 db')).toBe('mysql -u app --password=•••• db');
    expect(maskCredentials('echo "${API_TOKEN:0:8}" api_token=abc123')).toBe('echo "${API_TOKEN:0:8}" api_token=••••');
  });
});
