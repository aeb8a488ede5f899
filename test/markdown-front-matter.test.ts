// Front matter as static-site generators write it (Hugo, Jekyll, Docusaurus, Zola): never a
// reason to refuse. title names the runbook, opscockpit: carries runbook settings (validated,
// problems at their real line), every other key is kept as metadata.
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../src/runbook/load.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { readToml } from '../src/runbook/markdown/toml.js';

const md = (text: string, params: Record<string, string> = {}) => parseMarkdownRunbook(text, '/docs/upgrade-guide.md', {}, params);
const BODY = ['', '# Upgrade the cluster', '', '## Steps', '', '1. [ ] Drain the node', '2. [ ] Upgrade the packages', ''];

function issues(text: string) {
  try {
    md(text);
  } catch (e) {
    if (e instanceof RunbookError) return e.issues.map(({ line, path, message }) => ({ line, path, message }));
    throw e;
  }
  throw new Error('expected the runbook to be refused');
}

describe('YAML front matter', () => {
  it('Hugo and Docusaurus keys are kept as metadata; title names the runbook', () => {
    const text = [
      '---', 'title: "Upgrading to v2.4"', 'weight: 30', 'cover:', '  image: /img/upgrade.png', '  alt: diagram', 'labels: [ops, upgrade]',
      'tags:', '  - kubernetes', 'date: 2024-03-01T10:00:00Z', 'draft: false', 'description: How we upgrade', 'params: { author: ops-team }', 'sidebar_position: 2', '---', ...BODY,
    ].join('\n');
    const rb = md(text);
    expect(rb.name).toBe('Upgrading to v2.4');
    expect(rb.description).toBe('How we upgrade');
    expect(rb.metadata).toMatchObject({ weight: 30, cover: { image: '/img/upgrade.png', alt: 'diagram' }, labels: ['ops', 'upgrade'], tags: ['kubernetes'], draft: false, params: { author: 'ops-team' }, sidebar_position: 2 });
    expect(rb.params).toEqual([]); // Hugo's params: is the page's, not the runbook's
    expect(rb.checklists.preflight.map((s) => s.title)).toEqual(['Drain the node', 'Upgrade the packages']);
    expect(rb.checklists.preflight[0].line).toBe(21);
  });

  it('a key named __proto__ is refused at its line instead of vanishing', () => {
    const text = ['---', 'title: Upgrade', 'opscockpit:', '  targets:', '    __proto__: http://127.0.0.1:1', '---', ...BODY].join('\n');
    expect(issues(text)).toEqual([{ line: 5, path: '', message: 'front matter: "__proto__" cannot be a key: choose another name' }]);
    const alias = ['---', 'title: &k __proto__', 'opscockpit:', '  targets:', '    *k : http://127.0.0.1:1', '---', ...BODY].join('\n');
    expect(issues(alias)).toEqual([{ line: 5, path: '', message: 'front matter: "__proto__" cannot be a key: choose another name' }]);
  });

  it('the name is title, else name, else the first heading, else the file name', () => {
    expect(md(['---', 'name: From name', 'weight: 1', '---', ...BODY].join('\n')).name).toBe('From name');
    expect(md(['---', 'weight: 1', '---', ...BODY].join('\n')).name).toBe('Upgrade the cluster');
    expect(md(['---', 'weight: 1', '---', '', '- [ ] Step', ''].join('\n')).name).toBe('upgrade-guide');
    expect(md(['---', 'title: T', 'opscockpit: { name: Settings name }', '---', ...BODY].join('\n')).name).toBe('Settings name');
  });

  it('opscockpit: carries runbook settings in the YAML runbook format', () => {
    const text = [
      '---', 'title: Payments cutover', 'opscockpit:', '  targets: { app: "http://10.1.1.1:8080" }', '  secrets: [PAY_TOKEN]',
      '  safety: { mode: MOCK_ONLY }', '  params:', '    env: { type: enum, values: [staging, prod], default: staging }',
      '  actions:', '    rollback: { script: { command: ./rollback.sh } }', '---', ...BODY,
    ].join('\n');
    const rb = md(text, { env: 'prod' });
    expect(rb.name).toBe('Payments cutover');
    expect(rb.targets.app).toBe('http://10.1.1.1:8080');
    expect(rb.secrets).toEqual(['PAY_TOKEN']);
    expect(rb.safety.initialMode).toBe('MOCK_ONLY');
    expect(rb.params.map((p) => [p.name, p.value])).toEqual([['env', 'prod']]);
    expect(rb.actions.rollback.script?.command).toBe('/docs/rollback.sh');
    expect(rb.metadata).toEqual({ title: 'Payments cutover' });
  });

  it('a problem inside opscockpit: points at its real line and field', () => {
    const text = ['---', 'title: T', 'weight: 3', 'opscockpit:', '  targets:', '    app: http://x', '  safety:', '    mode: YOLO', '  actionz: {}', '---', ...BODY].join('\n');
    expect(issues(text)).toEqual([
      { line: 8, path: 'opscockpit.safety.mode', message: expect.stringContaining('MOCK_ONLY') },
      { line: 9, path: 'opscockpit.actionz', message: expect.stringContaining('actionz') },
    ]);
    expect(issues(['---', 'opscockpit: yes', '---', ...BODY].join('\n'))).toEqual([{ line: 2, path: 'opscockpit', message: 'front matter: opscockpit: holds runbook settings as a map' }]);
  });

  it('YAML that does not parse names its line in the file', () => {
    expect(issues(['---', 'title: T', 'tags: [a, b', 'weight: 1', '---', ...BODY].join('\n'))[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^front matter: YAML syntax/) });
  });

  it('CRLF line endings read the same, with the same lines', () => {
    const text = ['---', 'title: CRLF guide', 'opscockpit:', '  safety:', '    mode: NOPE', '---', ...BODY].join('\r\n');
    expect(issues(text)).toEqual([{ line: 5, path: 'opscockpit.safety.mode', message: expect.any(String) }]);
    const ok = md(['---', 'title: CRLF guide', 'weight: 2', '---', ...BODY].join('\r\n'));
    expect(ok.name).toBe('CRLF guide');
    expect(ok.checklists.preflight[0].line).toBe(10);
  });
});

describe('front matter values opscockpit reads', () => {
  it('a title, name or description that is not text is an error naming its line', () => {
    expect(issues(['---', 'weight: 1', 'title: [1, 2]', '---', ...BODY].join('\n'))).toEqual([{ line: 3, path: 'title', message: "front matter: title: is text (the runbook's title), not a list" }]);
    expect(issues(['+++', 'description = { a = 1 }', '+++', ...BODY].join('\n'))).toEqual([{ line: 2, path: 'description', message: "front matter: description: is text (the runbook's description), not a map" }]);
  });

  it('a problem in opscockpit: settings names its real column', () => {
    const text = ['---', 'title: T', 'opscockpit:', '  safety:', '    mode: YOLO', '  bogus: 1', '---', ...BODY].join('\n');
    let err: RunbookError | undefined;
    try {
      md(text);
    } catch (e) {
      err = e as RunbookError;
    }
    expect(err?.issues.map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 5, column: 11, path: 'opscockpit.safety.mode' },
      { line: 6, column: 3, path: 'opscockpit.bogus' },
    ]);
  });
});

describe('TOML front matter (+++)', () => {
  it('Hugo and Zola keys are metadata; title names the runbook; [opscockpit] carries settings', () => {
    const text = [
      '+++', 'title = "Rotate the credentials"', 'weight = 10', 'date = 2024-05-01', 'draft = true', 'tags = ["security", "rotation"]',
      '[extra]', 'toc = true', '[[cascade]]', '  build = { list = "never" }', '',
      '[opscockpit]', 'secrets = ["VAULT_TOKEN"]', '[opscockpit.targets]', 'vault = "https://vault.example.test"',
      '[opscockpit.params.ticket]', 'description = "Change ticket"', 'pattern = "CHG-[0-9]+"', '+++', ...BODY,
    ].join('\n');
    const rb = md(text, { ticket: 'CHG-9' });
    expect(rb.name).toBe('Rotate the credentials');
    expect(rb.metadata).toEqual({ title: 'Rotate the credentials', weight: 10, date: '2024-05-01', draft: true, tags: ['security', 'rotation'], extra: { toc: true }, cascade: [{ build: { list: 'never' } }] });
    expect(rb.secrets).toEqual(['VAULT_TOKEN']);
    expect(rb.targets.vault).toBe('https://vault.example.test');
    expect(rb.params).toEqual([{ name: 'ticket', type: 'string', description: 'Change ticket', pattern: 'CHG-[0-9]+', value: 'CHG-9' }]);
    expect(rb.checklists.preflight[0].line).toBe(25);
  });

  it('a problem in [opscockpit] points at its line', () => {
    const text = ['+++', 'title = "T"', 'odd = 2024-05-01T10:00:00.123+02:00', '[opscockpit.safety]', 'mode = "YOLO"', '+++', ...BODY].join('\n');
    expect(issues(text)).toEqual([{ line: 5, path: 'opscockpit.safety.mode', message: expect.stringContaining('MOCK_ONLY') }]);
    expect(issues(['+++', '[opscockpit]', 'secrets = [PAY]', '+++', ...BODY].join('\n'))).toEqual([
      { line: 3, path: 'opscockpit.secrets', message: expect.stringMatching(/^front matter \(TOML\): "PAY" is not a TOML value/) },
    ]);
  });

  it('TOML that does not parse is an error at its line and column, outside [opscockpit] too: the title is never lost quietly', () => {
    const text = ['+++', 'title = "bad', 'weight = = 1', '+++', ...BODY].join('\n');
    expect(issues(text)).toEqual([
      { line: 2, path: 'title', message: 'front matter (TOML): missing closing " quote' },
      { line: 3, path: 'weight', message: expect.stringMatching(/^front matter \(TOML\): "= 1" is not a TOML value/) },
    ]);
    expect(issues(['+++', 'title = "T"', 'odd = 2024-05-01 trailing', '+++', ...BODY].join('\n'))).toEqual([{ line: 3, path: 'odd', message: expect.stringContaining('front matter (TOML)') }]);
    try {
      md(['+++', 'title = "T"', 'weight = = 1', '+++', ...BODY].join('\n'));
    } catch (e) {
      expect((e as RunbookError).issues[0].column).toBeGreaterThan(1);
    }
  });

  it('a key named __proto__ is refused at its line, in every TOML form, and Object.prototype is never written', () => {
    const forms = [
      ['[tags.__proto__]', 'description = "polluted"'],
      ['"__proto__" = 1'],
      ["'__proto__' = 1"],
      ['"__pro\\u0074o__" = 1'],
      ['opscockpit = { targets = { __proto__ = "x" } }'],
      ['opscockpit.targets.__proto__ = "x"'],
      ['[opscockpit.params.__proto__]'],
      ['[[__proto__]]'],
    ];
    for (const form of forms) {
      const found = issues(['+++', 'title = "T"', ...form, '+++', ...BODY].join('\n'));
      expect(found, form[0]).toEqual([expect.objectContaining({ line: 3, message: 'front matter (TOML): "__proto__" cannot be a key: choose another name' })]);
      expect(({} as Record<string, unknown>).description, form[0]).toBeUndefined();
    }
    // Other names an object inherits are keys like any other.
    expect(readToml('[constructor]\ntoString = 1\n[[hasOwnProperty]]\nx = 2').data).toEqual({ constructor: { toString: 1 }, hasOwnProperty: [{ x: 2 }] });
  });

  it('the reader: strings, escapes, numbers, booleans, arrays, inline tables, dotted keys, comments', () => {
    const doc = readToml(['# comment', 'a = "x\\ty \\u00e9"', "b = 'C:\\\\path'", 'c = 1_000', 'd = -2.5e3', 'e = [1, 2,', '  3] # end', 'f.g = true', 'h = """', 'one', 'two"""', 'i = { j = "k", l = [] }'].join('\n'));
    expect(doc.skipped).toEqual([]);
    expect(doc.data).toEqual({ a: 'x\ty é', b: 'C:\\\\path', c: 1000, d: -2500, e: [1, 2, 3], f: { g: true }, h: 'one\ntwo', i: { j: 'k', l: [] } });
    expect(doc.lines.get('f\u0000g')).toBe(8);
    expect(doc.lines.get('i\u0000j')).toBe(12);
  });
});
