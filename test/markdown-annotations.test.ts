// Annotations that leave the Markdown readable: fence attributes and opscockpit comments,
// read into one structured object (annotations.ts) and attached to the outline's code blocks.
import { describe, expect, it } from 'vitest';
import { isAnnotationComment, parseAnnotations } from '../src/runbook/markdown/annotations.js';
import { outlineDocument } from '../src/runbook/markdown/read.js';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { RunbookError } from '../src/runbook/errors.js';
import type { StepInput } from '../src/runbook/schema.js';

describe('parseAnnotations', () => {
  it('reads a fence attribute block with every key', () => {
    const { annotations, problems, unknown } = parseAnnotations(
      '{name=restart-db timeout=5m confirm=typed rollback expect-exit=0,3 shell=zsh scope=db:restart skip=false}',
    );
    expect(problems).toEqual([]);
    expect(unknown).toEqual([]);
    expect(annotations).toEqual({ name: 'restart-db', timeout: '5m', confirm: 'typed', rollback: true, expectExit: [0, 3], shell: 'zsh', scope: 'db:restart', skip: false });
  });

  it('reads an HTML comment addressed to opscockpit; every= makes a check', () => {
    expect(isAnnotationComment('<!-- opscockpit: check every=5s -->')).toBe(true);
    expect(isAnnotationComment('<!-- a note for editors -->')).toBe(false);
    expect(parseAnnotations('<!--   OpsCockpit:  every=5s -->')).toEqual({ annotations: { every: '5s', check: true }, places: { every: { line: 1, column: 21 } }, problems: [], unknown: [] });
    expect(parseAnnotations('<!-- opscockpit: check=false -->').annotations).toEqual({ check: false });
  });

  it('accepts Pandoc ids and classes, quotes, commas and lists', () => {
    expect(parseAnnotations('{.bash #drain-node expect-exit=[0, 1]}').annotations).toEqual({ name: 'drain-node', expectExit: [0, 1] });
    expect(parseAnnotations('{name="a-b", timeout=\'90s\'}').annotations).toEqual({ name: 'a-b', timeout: '90s' });
    expect(parseAnnotations('expect_exit="0 2" confirm').annotations).toEqual({ expectExit: [0, 2], confirm: 'typed' });
  });

  it('keeps keys of other tools apart and names each bad value', () => {
    const fence = parseAnnotations('title="deploy.sh" showLineNumbers timeout=1m');
    expect(fence).toEqual({
      annotations: { timeout: '1m' },
      places: { title: { line: 1, column: 1 }, showlinenumbers: { line: 1, column: 19 }, timeout: { line: 1, column: 35 } },
      problems: [],
      unknown: ['title', 'showLineNumbers'],
    });
    const bad = parseAnnotations('{timeout=5 every=9d confirm=maybe expect-exit=300 scope=Root name=a.b check=perhaps}');
    expect(bad.annotations).toEqual({});
    expect(bad.problems).toEqual([
      'timeout: expected a duration such as 30s, 5m or 1h',
      'every: expected a duration such as 30s, 5m or 1h',
      'confirm: expected confirm=typed or confirm=enter',
      'expect-exit: expected exit codes from 0 to 255, e.g. expect-exit=0,3',
      'scope: expected a scope such as run:steps',
      'name: expected a name of letters, digits, "_" and "-", e.g. name=restart-db',
      'check: expected no value, true or false',
    ]);
    expect(parseAnnotations('timeout=5m =oops').problems).toEqual(['cannot read "=oops": write key=value pairs, e.g. timeout=5m confirm=typed']);
  });
});

describe('annotations in the outline', () => {
  it('code blocks carry their meta and annotations; opscockpit comments are annotation blocks, at top level and in list items', () => {
    const text = [
      '# Restart', '', '<!-- opscockpit: check every=5s -->', '', '```sh {name=restart-db timeout=5m confirm=typed}', 'systemctl restart db', '```', '',
      '<!-- just a comment -->', '', '1. Drain', '   <!-- opscockpit: rollback -->', '   ```bash title=x', '   kubectl uncordon n1', '   ```', '',
    ].join('\n');
    const blocks = outlineDocument(text);
    expect(blocks[1]).toEqual({ type: 'annotation', line: 3, annotations: { annotations: { check: true, every: '5s' }, places: { check: { line: 3, column: 18 }, every: { line: 3, column: 24 } }, problems: [], unknown: [] } });
    expect(blocks[2]).toMatchObject({ type: 'code', line: 5, lang: 'sh', meta: '{name=restart-db timeout=5m confirm=typed}', annotations: { annotations: { name: 'restart-db', timeout: '5m', confirm: 'typed' } } });
    expect(blocks[3]).toEqual({ type: 'other' });
    const list = blocks[4];
    expect(list.type).toBe('list');
    if (list.type !== 'list') return;
    expect(list.items[0].parts).toEqual([
      { type: 'annotation', line: 12, annotations: { annotations: { rollback: true }, places: { rollback: { line: 12, column: 21 } }, problems: [], unknown: [] } },
      { type: 'code', line: 13, lang: 'bash', value: 'kubectl uncordon n1', meta: 'title=x', annotations: { annotations: {}, places: { title: { line: 13, column: 12 } }, problems: [], unknown: ['title'] } },
    ]);
  });

  it('a fence without attributes has no meta', () => {
    expect(outlineDocument('```sh\nls\n```\n')).toEqual([{ type: 'code', line: 1, lang: 'sh', value: 'ls' }]);
  });
});

// What each key makes of a block in the runbook document (format v1).
const docOf = (text: string) => markdownToDocument(text, 'annotated.md').document;
const stepsOf = (text: string) => Object.values(docOf(text).checklists).flat() as StepInput[];
const scriptOf = (step: StepInput) => (typeof step.check === 'object' ? step.check.script : undefined);
const block = (info: string, body: string, comment?: string) => [...(comment ? [`<!-- opscockpit: ${comment} -->`] : []), '```' + info, body, '```', ''].join('\n');
const runbook = (...blocks: string[]) => ['# Annotated', '', '## Steps', '', ...blocks].join('\n');

function problemsOf(text: string): string[] {
  try {
    parseMarkdownRunbook(text, 'annotated.md', {});
  } catch (e) {
    if (e instanceof RunbookError) return e.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('what each annotation key makes of its block', () => {
  it('name= is the step id; the other steps keep their ids around it', () => {
    const steps = stepsOf(runbook(block('bash {name=restart-db}', 'systemctl restart db'), block('bash', 'echo steps-2'), block('bash #steps-1', 'echo named')));
    expect(steps.map((s) => s.id)).toEqual(['restart-db', 'steps-2', 'steps-1']);
  });

  it('a name used twice is an error naming both lines', () => {
    expect(problemsOf(runbook(block('bash {name=restart}', 'echo a'), block('bash', 'echo b', 'name=restart')))).toEqual([
      'annotated.md:9:18 name: "restart" is already the name of the step at line 5; step names are unique',
    ]);
  });

  it('timeout= is the block\'s timeout; expect-exit= its exit codes, 0 failing unless listed', () => {
    const [a, b, c] = stepsOf(runbook(block('bash {timeout=90s expect-exit=0,3}', 'probe'), block('bash', 'probe', 'expect-exit=3'), block('bash', 'probe')));
    expect(scriptOf(a)).toMatchObject({ timeout: '90s', exitCodes: { 0: 'healthy', 3: 'healthy' } });
    expect(scriptOf(b)).toMatchObject({ timeout: '10m', exitCodes: { 0: 'error', 3: 'healthy' } });
    expect(scriptOf(c)?.exitCodes).toBeUndefined();
  });

  it('confirm=typed asks for the id typed; confirm=enter never lowers a block that looks destructive', () => {
    const steps = stepsOf(runbook(block('bash {confirm=typed}', 'echo hi'), block('bash {confirm=enter}', 'kubectl delete pod web-1'), block('bash', 'rm -rf /srv/cache', 'confirm=enter'), block('bash {confirm=enter}', 'echo hi')));
    expect(steps.map((s) => s.confirm)).toEqual(['typed', 'typed', 'typed', true]);
  });

  it('shell= or a zsh fence picks the shell session; sh, shell and bash fences share bash', () => {
    const steps = stepsOf(runbook(block('zsh', 'print hi'), block('bash {shell=zsh}', 'print hi'), block('sh', 'echo hi'), block('shell', 'echo hi'), block('bash {shell=sh}', 'echo hi')));
    expect(steps.map((s) => [scriptOf(s)?.command, scriptOf(s)?.shell])).toEqual([['zsh', 'zsh'], ['zsh', 'zsh'], ['bash', 'bash'], ['bash', 'bash'], ['bash', 'sh']]);
  });

  it('scope= is the scope the step passes the safety controls with', () => {
    const [step] = stepsOf(runbook(block('bash', 'echo flush', 'scope=cache:flush')));
    expect(step.scope).toBe('cache:flush');
  });

  it('rollback moves the block to the rollback action, in document order with a rollback section; skip makes it a note', () => {
    const text = [
      runbook(block('bash', 'echo forward'), block('bash', 'echo undo-first', 'rollback'), block('bash {skip}', 'echo never-run'), block('bash', 'echo last')),
      '## Roll back', '', block('bash', 'echo undo-second'),
    ].join('\n');
    const doc = docOf(text);
    const forward = Object.values(doc.checklists).flat() as StepInput[];
    expect(forward.map((s) => scriptOf(s)?.args?.[1])).toEqual(['echo forward', 'echo last']);
    expect(forward[1].description).toContain('echo never-run');
    const action = (doc.actions as { rollback: { title: string; script: { args: string[] } } }).rollback;
    expect(action.title).toBe('Roll back');
    expect(action.script.args[1]).toMatch(/echo undo-first[\s\S]*echo undo-second/);
    expect(action.script.args[1]).not.toContain('forward');
  });

  it('a block annotated rollback makes a rollback action where the runbook has no rollback section', () => {
    const doc = docOf(runbook(block('bash {rollback}', 'echo undo')));
    expect(doc.checklists).toEqual({});
    expect((doc.actions as { rollback: { title: string } }).rollback.title).toBe('Rollback');
  });

  it('check and every make a read-only check, never for a destructive block', () => {
    const [check, destructive] = stepsOf(runbook(block('bash {every=5s}', 'curl -fsS localhost/x | grep ok'), block('bash {check}', 'kubectl delete pod x')));
    expect(check).toMatchObject({ check: { every: '5s' } });
    expect(check.confirm).toBeUndefined();
    expect(destructive.confirm).toBe('typed');
  });
});

describe('annotation errors: file, line and key, one screen', () => {
  it('an unknown key or a bad value in an opscockpit comment is an error; an unknown fence key is ignored', () => {
    expect(problemsOf(runbook(block('bash', 'echo a', 'timout=5m'), block('bash title="deploy.sh" {timeout=5m}', 'echo b')))).toEqual([
      'annotated.md:5:18 timout: unknown annotation key; opscockpit reads name, timeout, confirm, check, every, rollback, expect-exit, shell, scope, skip, allow-hidden',
    ]);
    expect(problemsOf(runbook(block('bash', 'echo a', 'timeout=5 shell=fish')))).toEqual([
      'annotated.md:5:18 timeout: expected a duration such as 30s, 5m or 1h',
      'annotated.md:5:28 shell: expected one of bash, sh, zsh, e.g. shell=zsh',
    ]);
  });

  it('a bad value of an opscockpit key on a fence is an error too', () => {
    expect(problemsOf(runbook(block('bash {expect-exit=300}', 'echo a')))).toEqual(['annotated.md:5:10 expect-exit: expected exit codes from 0 to 255, e.g. expect-exit=0,3']);
  });

  it('keys that contradict, or that cannot apply in the rollback action, are errors', () => {
    expect(problemsOf(runbook(block('bash {check confirm=typed}', 'echo a')))).toEqual(['annotated.md:5:16 confirm: a check runs without a person: drop check (or every) or confirm']);
    expect(problemsOf(['# R', '', '## Rollback', '', block('bash {timeout=5m}', 'echo undo')].join('\n'))).toEqual([
      'annotated.md:5:10 timeout: does not apply to a block of the rollback procedure: it runs in the one rollback action (bash, 30m, behind one typed confirmation)',
    ]);
  });

  it('each problem names the column where its key is written: in a list item, on a later line of a comment, on a fence after its language', () => {
    const item = ['1. Restart the database', '', '   <!-- opscockpit: name=restart-db', '        timeout=2 -->', '   ```bash {shell=fish}', '   systemctl restart db', '   ```', ''].join('\n');
    expect(problemsOf(runbook(item))).toEqual([
      'annotated.md:8:9 timeout: expected a duration such as 30s, 5m or 1h',
      'annotated.md:9:13 shell: expected one of bash, sh, zsh, e.g. shell=zsh',
    ]);
    expect(problemsOf(runbook(block('bash', 'echo a', 'timeout=5m  ,=oops')))).toEqual(['annotated.md:5:31 : cannot read "=oops": write key=value pairs, e.g. timeout=5m confirm=typed']);
    expect(problemsOf(runbook(block('sh  {#first expect_exit=0  rollback}', 'echo a'), block('bash', 'echo b', '#first')))).toEqual([
      'annotated.md:5:16 expect-exit: does not apply to a block of the rollback procedure: it runs in the one rollback action (bash, 30m, behind one typed confirmation)',
      'annotated.md:9:18 name: "first" is already the name of the step at line 5; step names are unique',
    ]);
  });

  it('an annotation in a list item applies to the block under it', () => {
    const steps = stepsOf(runbook(['1. Restart the database', '', '   <!-- opscockpit: name=restart-db timeout=2m -->', '   ```bash', '   systemctl restart db', '   ```', ''].join('\n')));
    expect(steps).toMatchObject([{ id: 'restart-db', title: 'Restart the database', check: { script: { timeout: '2m' } } }]);
  });
});
