// What in a fenced block is a command, what looks destructive, which values are missing,
// and how much of a block the detail pane shows: pure functions, each with cases that fail
// when the reading changes.
import { describe, expect, it } from 'vitest';
import { blockCommands } from '../src/runbook/markdown/commands.js';
import { destructiveReason } from '../src/runbook/markdown/destructive.js';
import { placeholdersOf } from '../src/runbook/markdown/placeholders.js';
import { checkOf } from '../src/runbook/markdown/annotate.js';
import { parseAnnotations } from '../src/runbook/markdown/annotations.js';
import { fitLines, maskCredentials } from '../screens/step-command.js';

describe('blockCommands', () => {
  it('strips prompts and keeps output out', () => {
    const r = blockCommands('console', ['$ git checkout main', "Switched to branch 'main'", 'user@db-1:~$ sudo -i', 'root@db-1:/# systemctl status postgresql', '● postgresql.service', 'PS C:\\> Get-Service'].join('\n'));
    expect(r.commands).toEqual(['git checkout main', 'sudo -i', 'systemctl status postgresql', 'Get-Service']);
    expect(r.output).toEqual(["Switched to branch 'main'", '● postgresql.service']);
  });

  it('joins > continuations and backslash lines to their command', () => {
    const r = blockCommands('', ['$ cat <<EOF > x.conf', '> a=1', '> EOF', '$ kubectl get pods \\', '  -n jobs', 'NAME READY'].join('\n'));
    expect(r.commands).toEqual(['cat <<EOF > x.conf\na=1\nEOF', 'kubectl get pods \\\n  -n jobs']);
    expect(r.output).toEqual(['NAME READY']);
  });

  it('# is a root prompt in a session, a comment or a sentence otherwise', () => {
    expect(blockCommands('console', '# apt-get update\n# Then restart').commands).toEqual(['apt-get update']);
    expect(blockCommands('bash', '# restart the api\nsystemctl restart api').commands).toEqual(['# restart the api\nsystemctl restart api']);
  });

  it('an unlabelled fence without prompts, output and data fences never run', () => {
    expect(blockCommands('', 'kubectl get pods').commands).toEqual([]);
    for (const lang of ['text', 'log', 'json', 'yaml', 'toml', 'mermaid', 'diff', 'sql']) expect(blockCommands(lang, '$ rm -rf /').commands).toEqual([]);
    expect(blockCommands('console', 'NAME READY\napi 1/1').commands).toEqual([]);
  });
});

describe('destructiveReason', () => {
  it.each([
    'oc delete pod api-1',
    'kubectl -n jobs drain node-3 --ignore-daemonsets',
    'kubectl scale deploy/api --replicas=0',
    'psql -c "DROP TABLE orders"',
    'rm -rf /var/lib/app/cache',
    'kill -9 4411',
    'git push --force origin main',
    'curl -X DELETE https://api.example/v1/keys/6',
    'curl -sS -X POST https://hooks.example/deploy',
    'helm rollback api 41',
    'TRUNCATE audit_log;',
  ])('%s looks destructive', (cmd) => expect(destructiveReason(cmd)).toBeDefined());

  it.each(['kubectl get pods', 'curl -sS https://api.example/health', 'helm list', 'rm notes.txt', 'git push origin v1.2.3', '# kubectl delete pod x'])('%s does not', (cmd) => expect(destructiveReason(cmd)).toBeUndefined());
});

describe('placeholdersOf', () => {
  it('names <NAME> and unset $VAR, rewrites <NAME> to "${NAME}"', () => {
    expect(placeholdersOf('kubectl logs <pod-name> -n $NS', new Set())).toEqual({ script: 'kubectl logs "${POD_NAME}" -n $NS', placeholders: ['POD_NAME', 'NS'] });
  });
  it('what the runbook or the block sets, defaults, single quotes and here-documents are no placeholders', () => {
    const script = ['export ENV=gprd', 'for h in a b; do echo "$h"; done', 'echo "${REGION:-eu1}" $HOME', "awk '{print $NF}'", 'cat <<EOF', 'x', 'EOF', 'echo $PRIMARY'].join('\n');
    expect(placeholdersOf(script, new Set(['PRIMARY'])).placeholders).toEqual([]);
  });
});

describe('annotations and the detail pane', () => {
  it('reads check from the fence or an HTML comment', () => {
    const checkAnnotation = (text: string) => checkOf(parseAnnotations(text).annotations);
    expect(checkAnnotation('{check every=5s}')).toEqual({ every: '5s' });
    expect(checkAnnotation('<!-- opscockpit: check -->')).toEqual({});
    expect(checkAnnotation('{name=restart-db}')).toBeUndefined();
  });
  it('masks credentials and fits wrapped lines into the rows there are', () => {
    expect(maskCredentials('curl -H "Authorization: Bearer abc123" https://x')).toBe('curl -H "Authorization: Bearer ••••" https://x');
    expect(maskCredentials('mysql --password=hunter2 -e "select 1"')).toBe('mysql --password=•••• -e "select 1"');
    expect(maskCredentials('echo ${TOKEN}')).toBe('echo ${TOKEN}');
    expect(fitLines(['a', 'b', 'c'], 3, 40)).toEqual(['a', 'b', 'c']);
    expect(fitLines(['a', 'b', 'c', 'd'], 3, 40)).toEqual(['a', 'b', '… 2 more lines']);
    expect(fitLines(['x'.repeat(100), 'b'], 3, 40)).toEqual(['… 2 more lines']);
  });
});
