// Annotations that leave the Markdown readable: fence attributes and opscockpit comments,
// read into one structured object (annotations.ts) and attached to the outline's code blocks.
import { describe, expect, it } from 'vitest';
import { isAnnotationComment, parseAnnotations } from '../src/runbook/markdown/annotations.js';
import { outlineDocument } from '../src/runbook/markdown/read.js';

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
    expect(parseAnnotations('<!--   OpsCockpit:  every=5s -->')).toEqual({ annotations: { every: '5s', check: true }, problems: [], unknown: [] });
    expect(parseAnnotations('<!-- opscockpit: check=false -->').annotations).toEqual({ check: false });
  });

  it('accepts Pandoc ids and classes, quotes, commas and lists', () => {
    expect(parseAnnotations('{.bash #drain-node expect-exit=[0, 1]}').annotations).toEqual({ name: 'drain-node', expectExit: [0, 1] });
    expect(parseAnnotations('{name="a-b", timeout=\'90s\'}').annotations).toEqual({ name: 'a-b', timeout: '90s' });
    expect(parseAnnotations('expect_exit="0 2" confirm').annotations).toEqual({ expectExit: [0, 2], confirm: 'typed' });
  });

  it('keeps keys of other tools apart and names each bad value', () => {
    const fence = parseAnnotations('title="deploy.sh" showLineNumbers timeout=1m');
    expect(fence).toEqual({ annotations: { timeout: '1m' }, problems: [], unknown: ['title', 'showLineNumbers'] });
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
    expect(blocks[1]).toEqual({ type: 'annotation', line: 3, annotations: { annotations: { check: true, every: '5s' }, problems: [], unknown: [] } });
    expect(blocks[2]).toMatchObject({ type: 'code', line: 5, lang: 'sh', meta: '{name=restart-db timeout=5m confirm=typed}', annotations: { annotations: { name: 'restart-db', timeout: '5m', confirm: 'typed' } } });
    expect(blocks[3]).toEqual({ type: 'other' });
    const list = blocks[4];
    expect(list.type).toBe('list');
    if (list.type !== 'list') return;
    expect(list.items[0].parts).toEqual([
      { type: 'annotation', annotations: { annotations: { rollback: true }, problems: [], unknown: [] } },
      { type: 'code', lang: 'bash', value: 'kubectl uncordon n1', meta: 'title=x', annotations: { annotations: {}, problems: [], unknown: ['title'] } },
    ]);
  });

  it('a fence without attributes has no meta', () => {
    expect(outlineDocument('```sh\nls\n```\n')).toEqual([{ type: 'code', line: 1, lang: 'sh', value: 'ls' }]);
  });
});
