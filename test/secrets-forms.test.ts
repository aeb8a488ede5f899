// A secret never reaches the screen, `check --json` or the ledger file in any form it takes on
// the way out: as written, JSON-escaped, URL-encoded, base64 of `user:pass`, or printed by a
// script in pieces; and `validate` never prints a resolved reference.
import { readFileSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../adapters/script.js';
import { MASK, Redactor } from '../src/runbook/secrets.js';
import { cli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'oc-secret-forms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'pa"ss\\w0rd:Zq9/x+y';
const every = (s: string) => {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  return [SECRET, JSON.stringify(SECRET).slice(1, -1), encodeURIComponent(SECRET), b64(`admin:${SECRET}`), b64(`ops-bot:${SECRET}`), b64(SECRET)].filter((f) => s.includes(f));
};

describe('Redactor', () => {
  const r = new Redactor(['API_TOKEN'], { API_TOKEN: SECRET });

  it('masks every form in text', () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const text = [SECRET, JSON.stringify({ t: SECRET }), encodeURIComponent(SECRET), `Authorization: Basic ${b64(`admin:${SECRET}`)}`, `x${b64(`ab:${SECRET}`)}y`, b64(`${SECRET}@host`)].join('\n');
    const masked = r.text(text);
    expect(every(masked)).toEqual([]);
    // What is around a secret stays readable.
    expect(masked).toContain('Authorization: Basic ');
    expect(masked).toContain(MASK);
  });

  it('masks strings inside values and keeps the shape; field names stay, even under a one-letter secret', () => {
    const v = r.value({ reason: `got ${SECRET}`, list: [SECRET, 3, null], nested: { deep: [{ x: `a${SECRET}b` }] }, n: 1 });
    expect(every(JSON.stringify(v))).toEqual([]);
    expect(v).toEqual({ reason: `got ${MASK}`, list: [MASK, 3, null], nested: { deep: [{ x: `a${MASK}b` }] }, n: 1 });
    const short = new Redactor(['T'], { T: 't' });
    expect(short.value({ status: 'healthy', code: 'timeout', reason: 'it works' })).toEqual({ status: 'healthy', code: 'timeout', reason: 'i*** works' });
  });

  it('keeps a __proto__ key of an answer (JSON) as a key, masked, instead of dropping it', () => {
    const answer = JSON.parse(`{"__proto__": ${JSON.stringify({ token: SECRET })}, "ok": true}`);
    const v = r.value(answer) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'ok']);
    expect(JSON.stringify(v)).toBe(`{"__proto__":${JSON.stringify({ token: MASK })},"ok":true}`);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it('masks a secret split across chunks, and holds back nothing that cannot begin one', () => {
    const s = r.stream();
    const out = [s.push('token is pa"s'), s.push('s\\w0'), s.push('rd:Zq9/x+y and more'), s.end()];
    expect(out.join('')).toBe(`token is ${MASK} and more`);
    expect(out[0]).toBe('token is ');
    const plain = r.stream();
    expect(plain.push('nothing secret here\n')).toBe('nothing secret here\n');
  });
});

describe('on the way out of the binary', () => {
  it('a script printing the secret in pieces shows no piece joined to it', async () => {
    const seen: string[] = [];
    const out = await runScript(
      { command: 'bash', args: ['-c', 'printf %s "${T:0:6}"; sleep 0.2; printf %s "${T:6}"; sleep 0.2; echo " end"'], cwd: dir, env: { T: '${API_TOKEN}' }, timeoutMs: 5000, maxOutputBytes: 65536 },
      { env: { PATH: process.env.PATH, API_TOKEN: SECRET }, secrets: ['API_TOKEN'], onOutput: (c) => seen.push(c) },
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.join('')).toBe(`${MASK} end\n`);
    expect(every(out.stdout)).toEqual([]);
  });

  it('check --json and the ledger file hold no form of it', async () => {
    const script = join(dir, 'leak.sh');
    writeFileSync(script, `#!/bin/bash\necho "raw $T"\nnode -e 'console.log(JSON.stringify({t: process.env.T}))'\nnode -e 'console.log(encodeURIComponent(process.env.T))'\necho "Basic $(printf 'admin:%s' "$T" | base64 -w0)"\nexit 0\n`, { mode: 0o755 });
    const runbook = join(dir, 'leak.yaml');
    writeFileSync(runbook, [
      'version: 1', 'name: leak', 'secrets: [API_TOKEN]', 'checks:', '  leak:', '    title: Leaky script', '    script:', `      command: ${script}`,
      '      env:', '        T: ${API_TOKEN}', '      passEnv: [PATH]', 'checklists:', '  preflight:', '    - id: leak', '      title: Leaky', '      check: leak', '',
    ].join('\n'));
    const ledger = join(dir, 'ledger.db');
    const r = await cli(['check', runbook, '--json', '--ledger', ledger], { env: { API_TOKEN: SECRET } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(MASK);
    expect(every(r.stdout)).toEqual([]);
    for (const f of readdirSync(dir).filter((n) => n.startsWith('ledger.db'))) expect(every(readFileSync(join(dir, f), 'latin1')), f).toEqual([]);
  });

  it('validate does not print what a reference resolves to', async () => {
    const runbook = join(dir, 'target.yaml');
    writeFileSync(runbook, 'version: 1\nname: t\nsecrets: [DEMO_TOKEN]\ntargets:\n  app: ${DEMO_TOKEN}\nchecklists:\n  preflight:\n    - id: a\n      title: A\n');
    const r = await cli(['validate', runbook], { env: { DEMO_TOKEN: 'tok-1234567890-secret' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('must be an http:// or https:// URL');
    expect(r.stderr).not.toContain('tok-1234567890-secret');
  });
});

describe('a tail cut inside a secret', () => {
  it('drops the cut secret’s end, which no form would match', () => {
    const r = new Redactor(['API_TOKEN'], { API_TOKEN: SECRET });
    const cut = SECRET.slice(5) + ' and the rest of the log';
    expect(r.text(cut)).toContain(SECRET.slice(5)); // on its own, the end is not masked
    expect(r.tail(cut, true)).not.toContain(SECRET.slice(5));
    expect(r.tail(cut, true)).toMatch(/of the log$/); // what follows the longest form's length stays
    expect(r.tail(`x ${SECRET} y`, false)).toBe(`x ${MASK} y`);
  });
});
