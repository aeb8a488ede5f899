// Choices through the binary: --choose NAME=OPTION (and its environment form OPSCOCKPIT_CHOOSE)
// on run, check and act; a choice nobody made needs a person on run and act (exit 2 naming it,
// its options and the flag), check walks the first option and says so; the options are
// recorded as run.choices; a run still open keeps the options it recorded, and its parameter
// values unless others are given (then said and recorded).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { ROTATE_MD } from './support/rotate-runbook.js';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oc-choose-'));
  file = join(dir, 'rotate.md');
  writeFileSync(file, ROTATE_MD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oc = (ledger: string, args: string[], env: NodeJS.ProcessEnv = {}) => cli([...args, '--ledger', join(dir, ledger)], { env: { OPSCOCKPIT_OPERATOR: 'alice', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps', ...env } });
const events = async (ledger: string) => {
  const doc = JSON.parse((await oc(ledger, ['ledger', '--json'])).stdout);
  return doc.runs.map((r: { runId: string; status: string; events: { body: { kind: string } }[] }) => ({ runId: r.runId, status: r.status, bodies: r.events.map((e) => e.body) }));
};

describe('--choose', () => {
  it('run without a choice needs a person: exit 2, naming the choice, its options and the flag', async () => {
    const r = await oc('a.db', ['run', file, '--param', 'ticket=CHG-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'opscockpit: needs a person: a choice was not made\n' +
        '  choice "choice" (Rotate the queue credentials): linux (Linux), macos (macOS)\n' +
        `give it: opscockpit run ${file} --choose choice=linux|macos\n`,
    );
    // With a parameter missing too, one message names both flags.
    const both = await oc('a.db', ['act', file, 'nothing', '--yes']);
    expect(both.code).toBe(2);
    expect(both.stderr.split('\n')[0]).toBe('opscockpit: needs a person: a parameter has no value and a choice was not made');
    expect(both.stderr).toContain(`give them: opscockpit act ${file} nothing --param ticket=… --choose choice=linux|macos`);
    expect(existsSync(join(dir, 'a.db'))).toBe(false); // nothing started, not even the ledger
  });

  it('an unknown choice, an unknown option or a malformed --choose is one usage error naming what there is', async () => {
    const option = await oc('b.db', ['run', file, '--param', 'ticket=CHG-1', '--choose', 'choice=beos']);
    expect(option.code).toBe(1);
    expect(option.stderr.split('\n')).toEqual(['opscockpit: choice "choice": no option "beos" (options: linux, macos)', expect.stringMatching(/^Usage: opscockpit run RUNBOOK .*--choose NAME=OPTION/), '']);
    const name = await oc('b.db', ['check', file, '--param', 'ticket=CHG-1', '--choose', 'platform=linux']);
    expect(name.stderr.split('\n')[0]).toBe('opscockpit: the runbook has no choice "platform" (choices: choice)');
    const malformed = await oc('b.db', ['run', file, '--choose', 'choice']);
    expect(malformed.stderr.split('\n')[0]).toBe('opscockpit: --choose choice: write --choose NAME=OPTION');
    const env = await oc('b.db', ['run', file, '--param', 'ticket=CHG-1'], { OPSCOCKPIT_CHOOSE: 'choice=beos' });
    expect(env.stderr.split('\n')[0]).toBe('opscockpit: choice "choice": no option "beos" (options: linux, macos)');
    for (const r of [name, malformed, env]) expect(r.code).toBe(1);
  });

  it('check walks the first option of a choice not made, and says so; OPSCOCKPIT_CHOOSE and --choose pick another', async () => {
    const first = await oc('c.db', ['check', file, '--param', 'ticket=CHG-1']);
    expect(first.stderr).toBe('opscockpit: choice "choice": none given, so check walks its first option, linux (give another with --choose choice=linux|macos)\n');
    expect(first.stdout).toContain('echo "linux $ticket in $region"');
    const env = await oc('c.db', ['check', file, '--param', 'ticket=CHG-1'], { OPSCOCKPIT_CHOOSE: 'choice=macos' });
    expect(env.stderr).toBe('');
    expect(env.stdout).toContain('macos');
    expect(env.stdout).not.toContain('linux');
    const flag = await oc('c.db', ['check', file, '--param', 'ticket=CHG-1', '--choose', 'choice=linux'], { OPSCOCKPIT_CHOOSE: 'choice=macos' });
    expect(flag.stdout).toContain('echo "linux');
    const runs = await events('c.db');
    expect(runs.map((r: { bodies: { kind: string; choices?: unknown }[] }) => r.bodies.find((b) => b.kind === 'run.choices'))).toEqual([
      { kind: 'run.choices', choices: { choice: 'linux' } },
      { kind: 'run.choices', choices: { choice: 'macos' } },
      { kind: 'run.choices', choices: { choice: 'linux' } },
    ]);
  });
});

describe('a run still open keeps its choices, and its parameters unless others are given', () => {
  it('records them at the start, goes on with them when none are given, refuses another option and notes another value', async () => {
    const start = await oc('d.db', ['run', file, '--param', 'ticket=CHG-7', '--param', 'region=us', '--choose', 'choice=macos']);
    expect(start.code).toBe(2); // the block waits for a person: the run stays open
    expect(start.stdout).toContain('Run: echo "macos $ticket in $region"');
    let [run] = await events('d.db');
    expect(run.status).toBe('running');
    expect(run.bodies.slice(0, 3)).toEqual([
      expect.objectContaining({ kind: 'run.started' }),
      { kind: 'run.params', params: { ticket: 'CHG-7', region: 'us' } },
      { kind: 'run.choices', choices: { choice: 'macos' } },
    ]);

    // Given nothing, the open run goes on with what it recorded (no person needed for it).
    const again = await oc('d.db', ['run', file, '--yes']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('[ok  ] preflight Run: echo "macos $ticket in $region"');
    [run] = await events('d.db');
    const resumed = run.bodies.findIndex((b: { kind: string }) => b.kind === 'run.resumed');
    expect(run.bodies.slice(resumed, resumed + 3)).toEqual([
      { kind: 'run.resumed' },
      { kind: 'run.params', params: { ticket: 'CHG-7', region: 'us' } },
      { kind: 'run.choices', choices: { choice: 'macos' } },
    ]);

    // Another option is refused before anything is recorded, naming the run's own.
    const other = await oc('d.db', ['run', file, '--choose', 'choice=linux', '--param', 'region=eu']);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `opscockpit: run ${run.runId} of this runbook is still open, and a run walks the options it started with.\n` +
        'This start gives choice=linux (the run has choice=macos).\n' +
        'To go on with it, give its options (--choose choice=macos) or none; to walk another, end that run first (its last step, abort or rollback in the cockpit).\n',
    );
    let [after] = await events('d.db');
    expect(after.bodies).toHaveLength(run.bodies.length);

    // Another value (a retry with a new ticket) is taken, said, and recorded.
    const retry = await oc('d.db', ['run', file, '--param', 'ticket=CHG-8']);
    expect(retry.stderr).toBe(`opscockpit: run ${run.runId} goes on with other parameter values than it recorded: ticket=CHG-8 (the run has ticket=CHG-7); the new values are recorded in the ledger.\n`);
    [after] = await events('d.db');
    expect(after.runId).toBe(run.runId);
    expect(after.bodies.filter((b: { kind: string }) => b.kind === 'run.params').at(-1)).toEqual({ kind: 'run.params', params: { ticket: 'CHG-8', region: 'us' } });
  });
});
