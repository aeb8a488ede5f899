// A `<NAME>` value is one word, but bash evaluates some words again: arithmetic (`$(( ))`,
// `(( ))`, `[[ -gt ]]`, `let`, `declare -i`, a subscript, `printf -v`) runs the `$(…)` of a
// subscript in `a[$(touch PWNED)]`; `eval`, `source <(…)` and `bash -c "…"` run the value
// itself. A parameter used in arithmetic takes an integer only, wherever its value is given;
// a value placed where it is run as code is refused with the runbook. Each case runs real bash
// with what the checks let through, in a folder where PWNED would appear.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownToDocument, parseMarkdownRunbook } from '../src/runbook/markdown/load.js';
import { parseRunbook } from '../src/runbook/load.js';
import { stringify } from 'yaml';
import { RunbookError } from '../src/runbook/errors.js';
import { checkParams } from '../src/runbook/params.js';
import { valueProblem } from '../src/runbook/schema-params.js';
import { formatOutline } from '../src/cli/outline.js';
import type { Runbook } from '../src/runbook/model.js';
import { cli } from './support/cli.js';
import { createCockpitStore } from '../src/store/store.js';
import { StepValues } from '../src/session/step-values.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'opscockpit-evaluated-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAYLOADS = ['PPID[$(touch PWNED)]', 'a[$(touch PWNED)]'];

/** A runbook of one step running `block`; its first line is the block's line 7. */
const runbook = (block: string, front = '') => `${front}# Scale\n\n## Steps\n\nScale it:\n\n\`\`\`bash\n${block}\n\`\`\`\n`;
const FIRST_LINE = 8;

/** The line and column (1-based) of the first `<VAL>` or `$VAL` in a runbook's text. */
function placeOf(md: string): { line: number; column: number } {
  const before = md.slice(0, md.search(/<VAL>|\$VAL/)).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** The step's script, run by bash with the value when the runbook's checks accept it; the refusal, else bash's output. */
function runWith(md: string, value: string, how: 'param' | 'env' = 'param'): { refused?: string; output?: string } {
  const given: Record<string, string> = how === 'param' ? { VAL: value } : {};
  const rb = parseMarkdownRunbook(md, 'scale.md', how === 'env' ? { VAL: value } : {}, given);
  const values = checkParams(rb.params, given);
  if (values.invalid.length > 0) return { refused: values.invalid.join('\n') };
  const check = Object.values(rb.checks).find((c) => c.kind === 'script');
  const script = check?.kind === 'script' ? check.args[1] : '';
  return { output: execFileSync('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH, VAL: value }, encoding: 'utf8' }) };
}

/** Each place bash evaluates the value as arithmetic, with what it prints given 3. */
const ARITHMETIC: [string, string][] = [
  ['echo "replicas=$(( <VAL> + 1 ))"', 'replicas=4\n'],
  ['(( <VAL> > 0 )) && echo positive', 'positive\n'],
  ['[[ <VAL> -gt 0 ]] && echo positive', 'positive\n'],
  ['[[ "<VAL>" -eq 3 ]] && echo three', 'three\n'],
  ['let n=<VAL>+1; echo "$n"', '4\n'],
  ["let 'n = <VAL> * 2'; echo \"$n\"", '6\n'],
  ['declare -i n=<VAL>; echo "$n"', '3\n'],
  ['f() { local -i n=<VAL>; echo "$n"; }; f', '3\n'],
  ['typeset -i n=<VAL>; echo "$n"', '3\n'],
  ['arr=(a b c d); echo "${arr[<VAL>]}"', 'd\n'],
  ['arr=(a b c d); arr[<VAL>]=z; echo "${arr[3]}"', 'z\n'],
  ["printf -v 'arr[<VAL>]' %s x; echo \"${arr[3]}\"", 'x\n'],
  ['s=abcdef; echo "${s:<VAL>}"', 'def\n'],
  ['echo $(( 1 + \\\n  <VAL> ))', '4\n'],
  ['echo "sum: $((\n  1 + <VAL>\n))"', 'sum: 4\n'],
  ["arr=(a b c d); test -v 'arr[<VAL>]' && echo set", 'set\n'],
  ['echo $(( $VAL * 2 ))', '6\n'],
];

describe('a value used in arithmetic is an integer', () => {
  it('without the check, bash runs the subscript of such a value: the payload is real', () => {
    execFileSync('bash', ['-c', 'echo "$(( "${VAL}" + 1 ))"'], { cwd: dir, env: { PATH: process.env.PATH, VAL: PAYLOADS[0] }, encoding: 'utf8' });
    expect(existsSync(join(dir, 'PWNED'))).toBe(true);
    rmSync(join(dir, 'PWNED'));
  });

  describe.each(ARITHMETIC)('%s', (block, printed) => {
    it.each(PAYLOADS)('refuses %s: nothing runs, one line names the parameter and its line', (payload) => {
      const r = runWith(runbook(block), payload);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
      expect(r.refused).toBe(`parameter VAL: "${payload}" is not an integer: it is used in arithmetic at line ${placeOf(runbook(block)).line}, where bash would run what is in it`);
    });

    it('runs with an integer', () => {
      expect(runWith(runbook(block), '3')).toEqual({ output: printed });
    });
  });

  it('the value in the environment (act) is checked as one given with --param', () => {
    expect(runWith(runbook('echo $(( <VAL> + 1 ))'), PAYLOADS[1], 'env').refused).toMatch(/^parameter VAL: "a\[\$\(touch PWNED\)\]" is not an integer/);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    expect(runWith(runbook('echo $(( <VAL> + 1 ))'), '-2', 'env')).toEqual({ output: '-1\n' });
  });

  it('a value given at its step is refused unless an integer: nothing is recorded or set', async () => {
    const rb = parseMarkdownRunbook(runbook('echo $(( <VAL> + 1 ))'), 'scale.md', {}, {});
    const store = createCockpitStore({ runbook: rb, ledgerPath: join(dir, 'none.db'), now: Date.now() });
    const env: NodeJS.ProcessEnv = {};
    const recorded: unknown[] = [];
    const values = new StepValues(store, env, async (body) => (recorded.push(body), true));
    expect(await values.give('VAL', PAYLOADS[0])).toBe(`VAL: "${PAYLOADS[0]}" is not an integer: it is used in arithmetic at line ${FIRST_LINE}, where bash would run what is in it.`);
    expect(recorded).toEqual([]);
    expect(env.VAL).toBeUndefined();
    expect(await values.give('VAL', '3')).toBeUndefined();
    expect(env.VAL).toBe('3');
  });

  it('a value named like what every object has (constructor, __proto__) is asked for and kept like any other', async () => {
    const rb = parseMarkdownRunbook(runbook('rm -rf "/srv/releases/$constructor/$__proto__"'), 'scale.md', {}, {});
    expect(rb.params.map((p) => [p.name, p.value])).toEqual([['constructor', undefined], ['__proto__', undefined]]);
    const store = createCockpitStore({ runbook: rb, ledgerPath: join(dir, 'none.db'), now: Date.now() });
    const env: NodeJS.ProcessEnv = { ...process.env };
    const values = new StepValues(store, env, async () => true);
    const step = rb.checklists.preflight[0];
    expect(values.missing('preflight', step.id)).toEqual(['constructor', '__proto__']);
    expect(await values.give('constructor', 'v1')).toBeUndefined();
    expect(await values.give('__proto__', 'v2')).toBeUndefined();
    expect(values.missing('preflight', step.id)).toEqual([]);
    expect([Object.hasOwn(env, '__proto__'), env.__proto__ as unknown, Object.getPrototypeOf(env)]).toEqual([true, 'v2', Object.prototype]);
  });

  it('a declared parameter keeps its pattern, and is an integer too', () => {
    const md = runbook('echo $(( <VAL> + 1 ))', '---\nopscockpit:\n  params:\n    VAL:\n      pattern: "[1-5]"\n---\n');
    const rb = parseMarkdownRunbook(md, 'scale.md', {}, { VAL: '3' });
    const param = rb.params.find((p) => p.name === 'VAL')!;
    expect(param.integer).toBe(FIRST_LINE + 6);
    expect(valueProblem(param, '3')).toBeUndefined();
    expect(valueProblem(param, '7')).toBe('"7" does not match [1-5]');
    expect(valueProblem(param, PAYLOADS[0])).toMatch(/is not an integer: it is used in arithmetic at line 14/);
    expect(checkParams(parseMarkdownRunbook(md, 'scale.md', {}, { VAL: '7' }).params, { VAL: '7' }).invalid).toEqual(['parameter VAL: "7" does not match [1-5]']);
    // Declared, it is read by name in arithmetic too: bash evaluates what the variable holds.
    const byName = parseMarkdownRunbook(runbook('echo $(( VAL * 2 ))', '---\nopscockpit:\n  params:\n    VAL: {}\n---\n'), 'scale.md', {}, { VAL: PAYLOADS[1] });
    expect(checkParams(byName.params, { VAL: PAYLOADS[1] }).invalid).toEqual([`parameter VAL: "${PAYLOADS[1]}" is not an integer: it is used in arithmetic at line 13, where bash would run what is in it`]);
  });

  it('a value compared as text or passed as a word stays any text', () => {
    for (const block of ['[[ <VAL> == prod && 1 -gt 0 ]] || echo other', 'export X=<VAL>; printf \'%s\\n\' "$X"', "bash -c 'printf \"%s\\n\" \"$1\"' _ <VAL>"]) {
      const r = runWith(runbook(block), PAYLOADS[0]);
      expect(r.refused).toBeUndefined();
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    }
  });

  it('a YAML runbook too: a declared parameter its bash -c script uses in arithmetic, and a converted Markdown runbook', () => {
    const yaml = [
      'version: 1',
      'name: Scale',
      'params:',
      '  REPLICAS: { description: How many }',
      'checks:',
      '  scale:',
      '    script: { command: bash, args: [-c, "echo $(( REPLICAS + 1 ))"] }',
      'checklists:',
      '  preflight:',
      '    - { id: scale, check: scale }',
      '',
    ].join('\n');
    for (const payload of PAYLOADS) {
      const rb = parseRunbook(yaml, 'scale.yaml', {}, { REPLICAS: payload });
      expect(checkParams(rb.params, { REPLICAS: payload }).invalid).toEqual([`parameter REPLICAS: "${payload}" is not an integer: it is used in arithmetic at line 10, where bash would run what is in it`]);
    }
    expect(checkParams(parseRunbook(yaml, 'scale.yaml', {}, { REPLICAS: '3' }).params, { REPLICAS: '3' }).invalid).toEqual([]);
    const converted = stringify(markdownToDocument(runbook('echo "$(( <VAL> + 1 ))"'), 'scale.md').document);
    const rb = parseRunbook(converted, 'scale.yaml', { VAL: PAYLOADS[0] }, {});
    expect(checkParams(rb.params, {}).invalid).toEqual([expect.stringMatching(/^parameter VAL: "PPID\[\$\(touch PWNED\)\]" is not an integer: it is used in arithmetic at line \d+/)]);
  });

  it('validate --outline says the value is an integer and where it is used', () => {
    const rb: Runbook = parseMarkdownRunbook(runbook('kubectl get pods\necho "$(( <REPLICAS> + 1 ))"'), 'scale.md', {}, {});
    expect(formatOutline(rb, 'scale.md')).toContain(`REPLICAS (an integer: used in arithmetic at line ${FIRST_LINE + 1}) asked when its step comes`);
  });

  it('through the binary: run --param with the payload is one line, nothing runs or is recorded; an integer runs', async () => {
    const folder = realpathSync(mkdtempSync(join(tmpdir(), 'oc-arith-')));
    writeFileSync(join(folder, 'scale.md'), runbook(`echo "replicas=$(( <VAL> + 1 ))" > ${folder}/out`));
    const env = { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' };
    const args = (v: string) => ['run', join(folder, 'scale.md'), '--yes', '--param', `VAL=${v}`, '--ledger', join(folder, 'ledger.db')];
    const bad = await cli(args(PAYLOADS[0]), { env, cwd: folder });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`parameter VAL: "${PAYLOADS[0]}" is not an integer: it is used in arithmetic at line ${FIRST_LINE}`);
    expect(existsSync(join(folder, 'PWNED'))).toBe(false);
    expect(existsSync(join(folder, 'ledger.db'))).toBe(false);
    const good = await cli(args('41'), { env, cwd: folder });
    expect(good.stderr).toBe('');
    expect(readFileSync(join(folder, 'out'), 'utf8')).toBe('replicas=42\n');
    rmSync(folder, { recursive: true, force: true });
  });

  it('through the binary: act rollback with the value in the environment is refused the same way', async () => {
    const folder = realpathSync(mkdtempSync(join(tmpdir(), 'oc-arith-act-')));
    writeFileSync(join(folder, 'rb.md'), `# Deploy\n\n## Steps\n\n\`\`\`bash\necho deploy\n\`\`\`\n\n## Rollback\n\n\`\`\`bash\necho "to $(( <REVISION> - 1 ))" > ${folder}/out\n\`\`\`\n`);
    const act = (revision: string) =>
      cli(['act', join(folder, 'rb.md'), 'rollback', '--yes', '--ledger', join(folder, 'ledger.db')], { cwd: folder, env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps,deploy:rollback', REVISION: revision } });
    const bad = await act(PAYLOADS[1]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`parameter REVISION: "${PAYLOADS[1]}" is not an integer: it is used in arithmetic at line 12`);
    expect(existsSync(join(folder, 'PWNED'))).toBe(false);
    expect(existsSync(join(folder, 'out'))).toBe(false);
    const good = await act('5');
    expect(good.code).toBe(0);
    expect(readFileSync(join(folder, 'out'), 'utf8')).toBe('to 4\n');
    rmSync(folder, { recursive: true, force: true });
  });
});

/** The runbook's problems as `file:line:column key: message`. */
function problems(md: string): string[] {
  try {
    parseMarkdownRunbook(md, 'scale.md', {}, {});
  } catch (e) {
    if (!(e instanceof RunbookError)) throw e;
    return e.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`);
  }
  return [];
}

describe('a value placed where it is run as code refuses the runbook', () => {
  it.each([
    ['eval "echo <VAL>"', 'eval'],
    ['x=1; eval echo <VAL>', 'eval'],
    ['eval \\\n  echo <VAL>', 'eval'],
    ['source <(echo "echo <VAL>")', 'source <(…)'],
    ['. <(echo "echo <VAL>")', '. <(…)'],
    ['bash -c "echo <VAL>"', 'bash -c "…"'],
    ["sh -c 'echo <VAL>'", 'sh -c "…"'],
    ['bash -c "\n  echo <VAL>\n"', 'bash -c "…"'],
    ['kubectl exec web -- sh -c "ls <VAL>"', 'sh -c "…"'],
    ['echo "echo <VAL>" | bash', 'piped into a shell'],
    ['eval "$(printf \'%s\' <VAL>)"', 'eval $(…)'],
    ['bash <<EOF\necho <VAL>\nEOF', 'a here-document a shell runs'],
    ['ssh -i key.pem web-1 <<EOF\nsystemctl restart <VAL>\nEOF', 'a here-document a shell runs'],
    ['ssh -p 2222 web-1 systemctl restart <VAL>', 'the command ssh gives the remote shell'],
    ["bash --login -c 'echo <VAL>'", 'bash --login -c "…"'],
    ['bash <(echo "echo <VAL>")', 'bash <(…)'],
    ["trap 'echo <VAL>' EXIT", 'trap (its action is run as code)'],
    ['watch "kubectl get pods <VAL>"', 'watch (it runs its words with sh -c)'],
    ["PS4='$(echo <VAL>) ' bash -x deploy.sh", 'PS4= (the shell runs what it holds each time it prints it)'],
    ["python3 -c 'print(<VAL>)'", 'python3 -c "…"'],
    ['psql -h db -U app -c "select * from jobs where id = <VAL>"', 'psql -c "…"'],
    ['psql -tAc "select * from jobs where id = <VAL>"', 'psql -tAc "…"'],
    ['psql --command="select * from jobs where id = <VAL>"', 'psql --command= "…"'],
    ["node -e 'console.log(<VAL>)'", 'node -e "…"'],
    ["perl -ne 'print if /<VAL>/' app.log", 'perl -ne "…"'],
    ['"bash" -c "echo <VAL>"', 'bash -c "…"'],
    ['bash -o pipefail -c "echo <VAL>"', 'bash -o pipefail -c "…"'],
    ['ev\\\nal "echo <VAL>"', 'eval'],
    ['e=eval; $e "echo <VAL>"', 'a command named by a variable'],
    ['run="bash"\n"$run" -c "echo <VAL>"', 'a command named by a variable'],
    ['bash -s <<<"echo <VAL>"', 'a here-string a shell reads'],
    ['xargs -I{} bash -c "{}" <<< "<VAL>"', 'a here-string a shell reads'],
    ['sh < <(echo "<VAL>")', 'sh < <(…)'],
    ['cat <<EOF | bash\necho <VAL>\nEOF', 'a here-document a shell runs'],
    ['. /dev/stdin <<X\necho <VAL>\nX', 'a here-document a shell runs'],
    ['echo "<VAL>" | xargs -I{} sh -c "{}"', 'piped into a shell'],
    ['awk "BEGIN{system(\\"<VAL>\\")}"', "awk's program (it can run commands with system())"],
  ])('%s', (block, why) => {
    const md = runbook(`kubectl get pods\n${block}`);
    const at = placeOf(md);
    expect(problems(md)).toEqual([
      `scale.md:${at.line}:${at.column} <VAL>: sits inside ${why}: a value inside ${why} is run as code; pass it as a variable instead (NAME=value in the environment, read as "$NAME" by a command that is not built from it)`,
    ]);
  });

  it('a value passed as a word to a command a shell runs is not code: it is an argument', () => {
    for (const block of ['$KUBECTL -n <VAL> get pods', '"${HELM:-helm}" upgrade <VAL> ./chart', "awk -v name=<VAL> '{ print name }' app.log", "awk '{ print $1 }' <VAL>", "awk -F: -f report.awk <VAL>", "bash -c 'echo \"$1\"' _ <VAL>", 'ssh -i key.pem <VAL> uptime', 'cat <<EOF\nname: <VAL>\nEOF', 'eval "$(ssh-agent)"; echo <VAL>', "python3 -c 'import sys; print(sys.argv[1])' <VAL>", 'psql -c "select 1" -v id=<VAL>', 'psql -At -f q.sql | grep -c <VAL>', 'ruby x.rb | grep -E <VAL>'])
      expect(problems(runbook(block))).toEqual([]);
  });

  it('in a script that takes values, a variable it sets and runs as code is refused: a value may be in it', () => {
    const md = runbook('x=$(cat <<EOF\necho <VAL>\nEOF\n)\neval "$x"');
    expect(problems(md)).toEqual([`scale.md:12:7 $x: is set in this script, which takes values (VAL), and run as code inside eval: a value may be in it; run it without eval`]);
    // Without values to take, the script's own variable is its own.
    expect(problems(runbook('x="kubectl get pods"\neval "$x"'))).toEqual([]);
  });

  it('a $NAME nothing in the runbook sets is refused there too; one the runbook sets is its own', () => {
    expect(problems(runbook('eval "echo $VAL"'))[0]).toMatch(/^scale\.md:8:12 \$VAL: sits inside eval/);
    // Single quotes inside double ones are characters: bash expands what they hold.
    expect(problems(runbook(`bash -c "echo '$VAL'"`))[0]).toMatch(/\$VAL: sits inside bash -c/);
    expect(problems(runbook(`python3 -c "print('\${VAL}')"`))[0]).toMatch(/\$\{VAL: sits inside python3 -c/);
    expect(problems(runbook('CMD="date"\neval "$CMD"'))).toEqual([]);
  });

  it.each(PAYLOADS)('bash would run %s there: the refused runbook never reaches it', (payload) => {
    const md = runbook('eval "echo <VAL>"');
    expect(() => runWith(md, payload)).toThrow(RunbookError);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });
});

describe('long commands are answered, not read for minutes', () => {
  // Each value's place is read from its command's start: these took from seconds to many
  // minutes before the reading was bounded (evaluated.ts, READ_BUDGET) and made linear.
  it('thousands of values in one very long command: past the bound it is refused, at its first unplaced value', () => {
    const words = Array.from({ length: 3000 }, () => '<VAL>').join(' ');
    const found = problems(runbook(`echo $((1)) ${words}`));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^scale\.md:8:\d+ <VAL>: sits in a command too long to check where its values go \(more than 16,000,000 characters read to place its values\): split it into shorter commands$/);
    // Below the bound, the same command's values are placed: passed as words, not code.
    expect(problems(runbook(`echo $((1)) ${words.slice(0, 600)}`))).toEqual([]);
    // Every value past the bound is refused, not only the one that crosses it: a $HOME that
    // crosses it does not let an eval of a placeholder after it through.
    const homes = Array.from({ length: 3000 }, () => '$HOME').join(' ');
    const smuggled = problems(runbook(`echo $((1)) "${homes}" \\\n  && eval "<CMD>"`));
    expect(smuggled).toEqual([expect.stringMatching(/^scale\.md:9:\d+ <CMD>: sits in a command too long to check/)]);
  }, 30_000);

  it('a default nested thousands deep inside bash -c is refused', () => {
    let nested = '<VAL>';
    for (let i = 0; i < 3000; i++) nested = `\${X:-${nested}}`;
    expect(problems(runbook(`bash -c "echo ${nested}"`))).toEqual([expect.stringMatching(/^scale\.md:8:15015 <VAL>: sits inside bash -c "…"/)]);
  }, 30_000);

  it('arithmetic nested 50,000 deep is read in one pass: the value in it is an integer', () => {
    let nested = '<VAL>';
    for (let i = 0; i < 50_000; i++) nested = `$((${nested}))`;
    const rb = parseMarkdownRunbook(runbook(`echo "${nested}"`), 'scale.md', {}, {});
    expect(rb.params.find((p) => p.name === 'VAL')?.integer).toBe(FIRST_LINE);
  }, 15_000);

  it('150,000 distinct placeholders in one command are 150,000 parameters, in the order they are met', () => {
    const names = Array.from({ length: 150_000 }, (_, i) => `R${i}`);
    const rb = parseMarkdownRunbook(runbook(`echo ${names.map((n) => `<${n}>`).join(' ')}`), 'scale.md', {}, {});
    expect(rb.params.map((p) => p.name)).toEqual(names);
  }, 15_000);

  it('a quote left open for 20,000 lines, and 20,000 lines of arithmetic, are read once', () => {
    const open = ['bash -c "echo start', ...Array.from({ length: 20_000 }, (_, i) => `line ${i} of text`), 'echo <VAL>"'].join('\n');
    expect(problems(runbook(open))).toEqual([expect.stringMatching(/^scale\.md:20009:6 <VAL>: sits inside bash -c "…"/)]);
    const arithmetic = Array.from({ length: 20_000 }, (_, i) => `echo $(( <VAL> + ${i} ))`).join('\n');
    const rb = parseMarkdownRunbook(runbook(arithmetic), 'scale.md', {}, {});
    expect(rb.params.find((p) => p.name === 'VAL')?.integer).toBe(FIRST_LINE);
  }, 30_000);
});
