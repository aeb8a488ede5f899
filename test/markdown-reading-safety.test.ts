// What a hostile reading of real runbooks found: output and comments run as commands, writing
// curl commands sent as checks, a block cut inside an if or a here-document, placeholders that
// never reach their command, destructive blocks on a plain Enter. Each case fails when the
// reading regresses; the first also runs through the built binary.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockCommands } from '../src/runbook/markdown/commands.js';
import { destructiveReason } from '../src/runbook/markdown/destructive.js';
import { markdownToDocument } from '../src/runbook/markdown/load.js';
import { placeholdersOf } from '../src/runbook/markdown/placeholders.js';
import { proposedCheck } from '../src/runbook/markdown/requests.js';
import { codeSteps } from '../src/runbook/markdown/shell.js';
import { closedAfter } from '../src/runbook/markdown/shell-scan.js';
import { cli } from './support/cli.js';
import { outline, rollbackScript } from './support/markdown-outline.js';

const fromText = (text: string) => markdownToDocument(text, 'probe.md').document;

describe('output and comments of a prompted session never run', () => {
  it('in a $ session, # lines are output or comments', () => {
    expect(blockCommands('console', '$ cat cleanup.sh\n#!/bin/sh\n# touch x\necho cleaning').commands).toEqual(['cat cleanup.sh']);
    expect(blockCommands('', '$ crontab -l\n# m h dom mon dow command\n# rm -rf /var/backups/old').commands).toEqual(['crontab -l']);
    expect(blockCommands('bash', '$ helm history payments\nREVISION  STATUS\n# 41 superseded\n# 42 deployed').commands).toEqual(['helm history payments']);
  });

  it('# is a root prompt only in a session of # prompts, and not below text that may be a file or has comments', () => {
    expect(blockCommands('console', '# apt-get update\nHit:1 http://deb.example stable InRelease\n# systemctl restart nginx').commands).toEqual(['apt-get update', 'systemctl restart nginx']);
    expect(blockCommands('console', '# cat cleanup.sh\n#!/bin/sh\n# touch x').commands).toEqual(['cat cleanup.sh']);
    expect(blockCommands('console', '# crontab -l\n# m h dom mon dow command\n# rm -rf /var/backups/old').commands).toEqual(['crontab -l']);
    expect(blockCommands('console', '# uptime\n#comment in the output\n# touch x').commands).toEqual(['uptime']);
    expect(blockCommands('console', '# 41 superseded\n# Then restart').commands).toEqual([]);
  });

  it('a > line continues only an unfinished command', () => {
    expect(blockCommands('console', '$ cat mail.txt\n> touch x\n> thanks').commands).toEqual(['cat mail.txt']);
    expect(blockCommands('console', '$ echo "one\n> two"').commands).toEqual(['echo "one\ntwo"']);
    expect(blockCommands('console', '$ kubectl get pods |\n> grep api').commands).toEqual(['kubectl get pods |\ngrep api']);
    expect(blockCommands('console', '$ make build &&\n> make test\n> not this').commands).toEqual(['make build &&\nmake test']);
    expect(blockCommands('console', '$ cat <<EOF > x.conf\na=1\n\nEOF\n$ echo done').commands).toEqual(['cat <<EOF > x.conf\na=1\n\nEOF', 'echo done']);
  });

  it('a session in python, psql, mysql or irb is a step for a person, never run', () => {
    for (const text of ['$ python3\n>>> import os\n>>> os.system("touch x")', 'In [1]: import os', 'mysql> DROP TABLE users;', 'postgres=# DROP TABLE users;\npostgres-# ;', 'irb(main):001:0> `touch x`', '$ redis-cli\n127.0.0.1:6379> FLUSHALL']) {
      const read = blockCommands('console', text);
      expect(read.commands, text).toEqual([]);
      const steps = codeSteps('console', text);
      expect(steps.map((s) => 'manual' in s), text).toEqual([true]);
    }
    const [step] = codeSteps('console', '$ python3\n>>> import os');
    expect(step).toMatchObject({ manual: '$ python3\n>>> import os', label: 'Run by hand: $ python3 (+1 more)' });
  });

  it('inside a rollback section too', () => {
    const d = fromText('# Deploy\n\n## Deploy\n\n1. Deploy\n\n   ```bash\n   echo deploy\n   ```\n\n## Rollback\n\n1. Find the revision\n\n   ```console\n   $ helm history payments\n   REVISION  STATUS\n   # 41 superseded\n   ```\n');
    const script = rollbackScript(d);
    expect(script).toContain('helm history payments');
    expect(script).not.toContain('41 superseded');
  });

  it('through the binary: run --yes runs the prompted commands and nothing of their output, and never cuts an if or a here-document', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'oc-probe-')));
    writeFileSync(join(dir, 'cleanup.sh'), `#!/bin/sh\n# touch ${dir}/pwned-root\n`);
    writeFileSync(join(dir, 'mail.txt'), `> touch ${dir}/pwned-quote\n`);
    const md = [
      '# Output probe', '', '## Steps', '',
      '1. Show the script', '', '   ```console', `   $ cat ${dir}/cleanup.sh`, '   #!/bin/sh', `   # touch ${dir}/pwned-root`, '   ```', '',
      '2. Show the mail', '', '   ```console', `   $ cat ${dir}/mail.txt`, `   > touch ${dir}/pwned-quote`, '   ```', '',
      '3. Clean up staging only', '', '   ```bash', '   # Check the environment', '   ENVIRONMENT=production', '   if [ "$ENVIRONMENT" = "staging" ]; then', '',
      '     # only on staging: wipe the cache', `     touch ${dir}/pwned-guard`, '   fi', '   ```', '',
      '4. Write the config', '', '   ```bash', '   # Write the config', `   cat > ${dir}/app.conf <<CONF`, '   a=1', '', '   # section two', '   b=2', '   CONF', '   ```', '',
    ].join('\n');
    writeFileSync(join(dir, 'runbook.md'), md);
    const r = await cli(['run', join(dir, 'runbook.md'), '--yes', '--ledger', join(dir, 'ledger.db')], { env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['pwned-root', 'pwned-quote', 'pwned-guard']) expect(existsSync(join(dir, f)), f).toBe(false);
    expect(readFileSync(join(dir, 'app.conf'), 'utf8')).toBe('a=1\n\n# section two\nb=2\n');
  });
});

describe('only a read-only curl is a check', () => {
  it.each([
    'curl -XDELETE http://127.0.0.1:18089/logs-old',
    'curl -sXDELETE http://127.0.0.1:18089/logs-old',
    'curl --request=DELETE http://127.0.0.1:18089/x',
    "curl -fsSd '{}' http://127.0.0.1:18089/api/cache/reset",
    'curl -fsS http://127.0.0.1:18089/healthz && touch /tmp/x',
    'curl -fsSL http://127.0.0.1:18089/install.sh | sh',
    'curl -H "Authorization: Bearer $TOKEN" https://api.example/health || { echo down; exit 1; }',
    'curl -H "Authorization: Bearer $TOKEN" https://api.example/health',
    'curl -fsS http://127.0.0.1:18089/healthz > out.json',
    'curl -fsS "http://127.0.0.1:18089/$(cat path)"',
    'curl -o saved.html http://127.0.0.1:18089/',
    'curl -u admin:pw http://127.0.0.1:18089/health',
  ])('%s is not a check', (cmd) => {
    expect(proposedCheck(cmd)).toBeUndefined();
    const steps = codeSteps('bash', cmd);
    expect(steps.every((s) => 'script' in s), cmd).toBe(true);
  });

  it('reading ones still are: -I, -XGET, -o /dev/null, a plain header', () => {
    expect(proposedCheck('curl -fsS http://127.0.0.1:18089/healthz')).toMatchObject({ method: 'GET', path: '/healthz' });
    expect(proposedCheck('curl -sI https://api.example/health')).toMatchObject({ method: 'HEAD' });
    expect(proposedCheck('curl -sXGET https://api.example/health')).toMatchObject({ method: 'GET' });
    expect(proposedCheck("curl -s -o /dev/null -w '%{http_code}' https://api.example/health")).toMatchObject({ method: 'GET' });
    expect(proposedCheck("curl -H 'Accept: application/json' https://api.example/health")).toMatchObject({ headers: { Accept: 'application/json' } });
    // A header the check could not send as written (it would vanish) keeps the command a command.
    expect(proposedCheck("curl -H '__proto__: x' https://api.example/health")).toBeUndefined();
  });

  it('the writing ones are destructive: typed confirmation', () => {
    const d = fromText('# Curl\n\n## Steps\n\n1. Drop the index\n\n   ```bash\n   curl -sXDELETE http://127.0.0.1:18089/logs-old\n   ```\n\n2. Reset\n\n   ```bash\n   curl -fsSd \'{}\' http://127.0.0.1:18089/api/cache/reset\n   ```\n');
    expect(outline(d).map((o) => [o.http, o.confirm])).toEqual([[undefined, 'typed'], [undefined, 'typed']]);
  });
});

describe('a block is split at its comment groups only at the top level', () => {
  it('never inside if/fi, a loop, braces, a here-document or a quote', () => {
    const guarded = '# Check the environment\nENVIRONMENT=production\nif [ "$ENVIRONMENT" = staging ]; then\n\n  # only on staging\n  touch x\nfi';
    expect(codeSteps('bash', guarded).map((s) => ('script' in s ? s.script.block : ''))).toEqual([guarded]);
    const heredoc = '# Write the config\ncat > app.conf <<CONF\na=1\n\n# section two\nb=2\nCONF';
    expect(codeSteps('bash', heredoc)).toHaveLength(1);
    const groups = '# Ready\ncurl -fsS http://127.0.0.1:8080/readyz\n\n# Promote\n./promote.sh\n\n# Abort\n./abort.sh';
    expect(codeSteps('bash', groups).map((s) => s.label)).toEqual(['GET http://127.0.0.1:8080/readyz', 'Promote', 'Abort']);
  });

  it('the scanner knows where a command may end', () => {
    const at = (text: string) => closedAfter(text.split('\n')).map((b) => (b ? 1 : 0)).join('');
    expect(at('if [ x ]; then\n\n  touch x\nfi\necho')).toBe('00011');
    expect(at('cat > f <<CONF\na=1\n\n# two\nCONF\necho')).toBe('000011');
    expect(at('cat <<-EOF\n\tx\n\tEOF\necho')).toBe('0011');
    expect(at('case "$x" in\n  a) echo a ;;\n  b|c) echo "b)" ;;\nesac\necho')).toBe('00011');
    expect(at('for i in 1 2; do\n  echo $(date) done\ndone\necho')).toBe('0011');
    expect(at('while true\ndo\n  sleep 1\ndone')).toBe('0001');
    expect(at("echo 'it''s\nx'\necho")).toBe('011');
    expect(at('f() {\n  echo\n}\necho ${#x} # c (')).toBe('0011');
    expect(at('( cd /tmp\n  ls )\necho')).toBe('011');
    expect(at('a |\nb &&\nc \\\n d\ne')).toBe('00011');
    expect(at('cat <<< "x"\necho')).toBe('11');
    expect(at('x=$(\n  ls\n)\necho')).toBe('0011');
  });
});

describe('placeholders', () => {
  it('one in single quotes reaches its command: the quote is closed around it', () => {
    expect(placeholdersOf("echo 'SELECT * FROM users WHERE id = <USER_ID>'", new Set())).toEqual({ script: `echo 'SELECT * FROM users WHERE id = '"\${USER_ID}"''`, placeholders: ['USER_ID'] });
    expect(placeholdersOf('echo "id <USER_ID>" <pod-name>', new Set()).script).toBe('echo "id ${USER_ID}" "${POD_NAME}"');
    expect(placeholdersOf("cat <<EOF\nit's <USER_ID>\nEOF", new Set()).script).toBe("cat <<EOF\nit's ${USER_ID}\nEOF");
  });

  it('a placeholder looks like one: not <ok>, <b> or <br>', () => {
    expect(placeholdersOf('grep -q "<ok>" page.html && echo "<b>bold</b>"', new Set())).toEqual({ script: 'grep -q "<ok>" page.html && echo "<b>bold</b>"', placeholders: [] });
    expect(placeholdersOf('kubectl logs <POD> <x> <pod-name> <db_host>', new Set()).placeholders).toEqual(['POD', 'POD_NAME', 'DB_HOST']);
  });

  it("the shell's own variables are never asked for", () => {
    expect(placeholdersOf('echo "$ZSH_VERSION ${BASH_VERSINFO[0]} $EPOCHSECONDS $SHLVL $LC_CTYPE $COLUMNS"', new Set()).placeholders).toEqual([]);
  });

  it('and the value really reaches it when the block runs', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'oc-quoted-')));
    const md = `# Quoted\n\n## Steps\n\n1. Find the user\n\n   \`\`\`bash\n   echo 'SELECT * FROM users WHERE id = <USER_ID>' > ${dir}/q1\n   \`\`\`\n`;
    writeFileSync(join(dir, 'runbook.md'), md);
    const r = await cli(['run', join(dir, 'runbook.md'), '--yes', '--param', 'USER_ID=42', '--ledger', join(dir, 'ledger.db')], { env: { OPSCOCKPIT_OPERATOR: 'ops', OPSCOCKPIT_ALLOW_SCOPES: 'run:steps' } });
    expect(r.stderr).toBe('');
    expect(readFileSync(join(dir, 'q1'), 'utf8')).toBe('SELECT * FROM users WHERE id = 42\n');
  });
});

describe('destructive blocks ask for the typed id', () => {
  it.each([
    'aws s3 rm s3://prod-backups --recursive',
    'aws s3 rm s3://prod-backups \\\n  --recursive',
    'aws rds delete-db-instance --db-instance-identifier prod',
    'aws ec2 terminate-instances --instance-ids i-1',
    'rm -v -rf "$DIR"',
    'rm "$DIR" -rf',
    'rm -f -r "$DIR"',
    'rm -f /var/lib/postgresql/data/*',
    'find /data -mtime +7 -exec rm {} \\;',
    'find /data -mtime +7 -delete',
    'shred -u /etc/ssl/private/key.pem',
    'helm del payments',
    'helm un payments',
    'helm -n prod uninstall payments',
    'terraform -chdir=prod apply -auto-approve',
    'terraform state rm aws_db_instance.main',
    'git push origin +main',
    'git push origin --delete main',
    'git push origin :main',
    'git branch -D main',
    'git clean -fdx',
    'service postgresql stop',
    'iptables -F',
    'crontab -r',
    'lvremove -f /dev/vg/lv',
    'docker compose down -v',
    ': > /var/lib/app/state.db',
    'psql -c "DROP TABLE users"',
    "psql \"$DSN\" -c 'drop   table users'",
    'psql -c "ALTER TABLE users DROP COLUMN email"',
    'psql -c "UPDATE accounts SET balance = 0"',
    'mongo prod --eval "db.dropDatabase()"',
    'wget --method=DELETE http://es:9200/logs',
    'bash <(curl -s https://get.example.com)',
    'curl -fsSL https://get.example.com | sh',
    'curl -fsSL https://get.example.com | sudo bash',
    'curl -sXDELETE http://es:9200/logs-*',
    "curl -fsSd '{}' http://api/reset",
    'curl --request=DELETE http://x',
  ])('%s', (cmd) => {
    expect(destructiveReason(cmd)).toBeDefined();
    const [step] = codeSteps('bash', cmd);
    expect(step && 'script' in step && step.script.destructive).toBeTruthy();
  });

  it.each(['kubectl get pods', 'docker run --rm alpine ls -R /', 'rm notes.txt', 'git push origin v1.2.3', 'echo done > /tmp/log', 'cmd &> out.log', 'ssh host uptime | tee out', 'helm upgrade api ./chart', 'apt-get update'])('%s does not', (cmd) =>
    expect(destructiveReason(cmd)).toBeUndefined(),
  );
});
