// Golden outlines of the corpus: runbooks written the way teams keep them (static-site front
// matter, admonitions, prompted sessions, tabs, task lists, CJK, CRLF, templates), each stating
// what an on-call engineer expects the cockpit to make of it: phases, step titles, what runs and
// with which confirmation, the notes, the placeholders, the parameters, the choice and the
// rollback action.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookSchema } from '../src/runbook/schema.js';
import { description, doc, load, MARKDOWN_DIR as DIR, outline, rollbackScript } from './support/markdown-outline.js';

const rollbackTitle = (d: ReturnType<typeof doc>) => (d.actions as { rollback?: { title: string } } | undefined)?.rollback?.title;

describe('Markdown corpus: golden outlines', () => {
  it('a certificate rotation: Hugo front matter with params, `1. [ ]` tasks with nested fences, a Warning under the title, a roll-back section', () => {
    const d = doc('tls-cert-rotation.md');
    // DOMAIN and CHANGE_ID are parameters of the front matter: asked before the run, never placeholders.
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Check how long the current certificate has left:', runs: 'echo | openssl s_client -connect "${DOMAIN}:443" -servername "${DOMAIN}" 2>/dev/null \\\n  | openssl x509 -noout -enddate', confirm: true },
      { phase: 'preflight', title: 'Record the change in the ticket and post in #edge-ops that rotation starts.', manual: true },
      { phase: 'preflight', title: 'Issue the new certificate:', runs: 'vault write -format=json pki_int/issue/edge common_name="*.${DOMAIN}" ttl=2160h > /tmp/edge-cert.json', confirm: true },
      { phase: 'preflight', title: 'Store it where cert-sync picks it up:', runs: 'vault kv put secret/edge/tls \\\n  cert=@<(jq -r .data.certificate /tmp/edge-cert.json) \\\n  key=@<(jq -r .data.private_key /tmp/edge-cert.json)', confirm: true },
      { phase: 'preflight', title: 'Restart the edge pods one at a time so each loads it:', runs: 'kubectl -n edge rollout restart deploy/haproxy\nkubectl -n edge rollout status deploy/haproxy --timeout=10m', confirm: true },
      { phase: 'postflight', title: 'The storefront serves the new serial (compare with /tmp/edge-cert.json).', manual: true },
      { phase: 'postflight', title: 'No TLS handshake errors on the edge dashboard for 15 minutes.', manual: true },
    ]);
    expect(d.params).toEqual({
      DOMAIN: { description: 'The wildcard domain the certificate covers', default: 'shop.example.com' },
      CHANGE_ID: { description: 'The change ticket, e.g. CHG-4821', pattern: 'CHG-[0-9]+' },
    });
    // The warning under the title is for the whole runbook: shown with the first step.
    expect(description(d, 'preparation-1')).toMatch(/^Preparation — Warning: Never delete the old secret/);
    // "Note: …" under a step is that step's note, not a step of its own.
    expect(description(d, 'rotate-3')).toBe('Rotate — Note: the rollout keeps two pods serving at all times (maxUnavailable: 0).');
    expect(rollbackTitle(d)).toBe('Roll back to the previous certificate');
    expect(rollbackScript(d)).toBe(
      ['set -euo pipefail', '# Run: vault kv rollback -version=1 secret/edge/tls (+1 more) (line 77)', 'vault kv rollback -version=1 secret/edge/tls', 'kubectl -n edge rollout restart deploy/haproxy'].join('\n'),
    );
    const rb = load('tls-cert-rotation.md', {}, { CHANGE_ID: 'CHG-4821' });
    expect(rb.metadata).toMatchObject({ weight: 20, labels: ['edge', 'tls', 'security'], cover: { alt: 'certificate chain' } });
    expect(rb.params?.map((p) => [p.name, p.value])).toEqual([['DOMAIN', 'shop.example.com'], ['CHANGE_ID', 'CHG-4821']]);
  });

  it('an alert runbook: symptom, diagnosis in `$ ` sessions with output, mitigation, verification; GitHub alerts and a table are notes', () => {
    const d = doc('alert-api-5xx.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Run: kubectl config use-context <CLUSTER>', runs: 'kubectl config use-context "${CLUSTER}"', confirm: true, placeholders: ['CLUSTER'] },
      { phase: 'preflight', title: 'Run: kubectl -n payments get pods -l app=checkout-api', runs: 'kubectl -n payments get pods -l app=checkout-api', confirm: true },
      { phase: 'preflight', title: "Run: kubectl -n payments logs -l app=checkout-api --since=10m | grep -c ' 50[0-9] '", runs: "kubectl -n payments logs -l app=checkout-api --since=10m | grep -c ' 50[0-9] '", confirm: true },
      { phase: 'preflight', title: 'If a deploy went out in the last hour, undo it:', runs: 'kubectl -n payments rollout undo deploy/checkout-api', confirm: 'typed' },
      { phase: 'preflight', title: 'Otherwise add capacity while you look for the cause:', runs: 'kubectl -n payments scale deploy/checkout-api --replicas=12', confirm: true },
      { phase: 'preflight', title: 'Tell #payments-incidents what you did and when.', manual: true },
      { phase: 'postflight', title: 'The error rate on the dashboard is below 1% for 10 minutes.', manual: true },
      { phase: 'postflight', title: 'GET /healthz answers 200.', http: 'GET app/healthz' },
    ]);
    // The table and the [!NOTE] under the title show with the first step; the [!TIP] with the step before it.
    expect(description(d, 'diagnosis-1')).toContain('Note: This alert fires when more than 2% of requests');
    expect(description(d, 'diagnosis-1')).toContain('Severity | P2 (P1 if above 10%)');
    expect(description(d, 'diagnosis-3')).toContain('Tip: If every error names ledger-db');
    expect(d.actions).toBeUndefined();
  });

  it('a database failover in "Step N" headings: unlabelled fences with a postgres@host prompt run only their commands; "If the failover fails" is the rollback', () => {
    const d = doc('patroni-failover-steps.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Step 1: Check the cluster state', runs: 'patronictl -c /etc/patroni/patroni.yml list', confirm: true },
      { phase: 'preflight', title: 'Step 2: Pause the writers', runs: 'kubectl --context "${REGION}" -n orders scale deploy/order-writer --replicas=0', confirm: 'typed', placeholders: ['REGION'] },
      { phase: 'preflight', title: 'Step 3: Fail over', runs: 'patronictl -c /etc/patroni/patroni.yml failover orders --candidate pg-orders-2 --force', confirm: 'typed' },
      { phase: 'preflight', title: 'Step 4: Resume the writers', runs: 'kubectl --context "${REGION}" -n orders scale deploy/order-writer --replicas=4', confirm: true, placeholders: ['REGION'] },
      { phase: 'preflight', title: 'Step 5: Confirm the new leader', manual: true },
    ]);
    expect(rollbackTitle(d)).toBe('If the failover fails');
    // A placeholder nobody filled stops the rollback before its first command.
    expect(rollbackScript(d)).toContain(': "${REGION:?needs a value for REGION}"');
  });

  it('a DNS cutover: TOML front matter with params, unlabelled prompted fences, a JSON fence that never runs, a Verify section after the change', () => {
    const d = doc('dns-cutover.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Run: dig +noall +answer api.example.com @ns-1204.awsdns-22.org', runs: 'dig +noall +answer api.example.com @ns-1204.awsdns-22.org', confirm: true },
      { phase: 'preflight', title: 'Run: sed "s/NEW_LB/${NEW_LB}/" cutover.json > /tmp/cutover.json (+1 more)', runs: 'sed "s/NEW_LB/${NEW_LB}/" cutover.json > /tmp/cutover.json\naws route53 change-resource-record-sets --hosted-zone-id "${ZONE_ID}" --change-batch file:///tmp/cutover.json', confirm: true },
      { phase: 'preflight', title: 'Run: aws route53 wait resource-record-sets-changed --id /change/C2682N5HXP0BZ4', runs: 'aws route53 wait resource-record-sets-changed --id /change/C2682N5HXP0BZ4', confirm: true },
      { phase: 'postflight', title: 'dig +short api.example.com from two networks answers the new load balancer.', manual: true },
      { phase: 'postflight', title: "The old ELB's request count drops to zero within five minutes.", manual: true },
    ]);
    expect(Object.keys(d.params as object)).toEqual(['NEW_LB', 'ZONE_ID']);
    // The change batch (an unlabelled fence without prompts) is a note of the step that reads it.
    expect(description(d, 'cutover-1')).toContain('"Action": "UPSERT"');
    expect(rollbackTitle(d)).toBe('Revert the cutover');
    // ZONE_ID is a parameter: no guard for an unfilled placeholder.
    expect(rollbackScript(d)).not.toContain(':?needs a value');
  });

  it('a feature-flag rollout: an HTTP check from a code span, a PUT asks a typed confirmation, mermaid is never run, the kill switch is the rollback', () => {
    const d = doc('feature-flag-rollout.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'The flag exists and is off: GET /api/flags/checkout-v2 answers 200.', http: 'GET app/api/flags/checkout-v2' },
      { phase: 'preflight', title: 'Nobody else is ramping a checkout flag today (check #release-train).', manual: true },
      { phase: 'preflight', title: 'Set the rollout percentage for this stage:', runs: "curl -fsS -X PUT \"http://127.0.0.1:8080/api/flags/${FLAG}/rollout\" \\\n  -H 'Content-Type: application/json' -d \"{\\\"percent\\\": ${PERCENT}}\"", confirm: 'typed' },
      { phase: 'preflight', title: 'Watch the funnel dashboard for 30 minutes; compare cohort=on with cohort=off.', manual: true },
      { phase: 'preflight', title: 'Write the stage, the time and what you saw in the rollout ticket.', manual: true },
    ]);
    expect(d.targets).toEqual({ app: 'http://127.0.0.1:8080' });
    expect(description(d, 'pre-checks-1')).toContain('flowchart LR');
    expect(description(d, 'pre-checks-1')).toContain('Important: The flag service caches evaluations for 60 seconds.');
    expect(rollbackTitle(d)).toBe('Kill switch');
    expect(rollbackScript(d)).toContain(`-d '{"percent": 0}'`);
    expect(load('feature-flag-rollout.md').params?.find((p) => p.name === 'PERCENT')).toMatchObject({ type: 'enum', value: '1' });
  });

  it('an incident guide: the sections under Roles are a choice, each role walked alone', () => {
    const d = doc('incident-commander-guide.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Run /incident declare in Slack and pick the severity.', manual: true },
      { phase: 'preflight', title: 'Page the incident commander on-call if that is not you.', manual: true },
      { phase: 'preflight', title: 'Start the bridge and pin its link in the incident channel.', manual: true },
      { phase: 'preflight', title: 'Confirm the severity out loud and name the other roles.', manual: true },
      { phase: 'preflight', title: 'Set the next update time (every 30 minutes for SEV-1).', manual: true },
      { phase: 'preflight', title: 'Decide on mitigation; do not debug yourself.', manual: true },
      { phase: 'preflight', title: 'Post the first status page update within 15 minutes, from the "Investigating" template.', manual: true },
      { phase: 'preflight', title: 'Update #incident-updates at every update time.', manual: true },
      { phase: 'preflight', title: 'Share your screen and say each command before you run it.', manual: true },
      { phase: 'preflight', title: 'Freeze deploys:', runs: 'deployctl freeze --all --reason "incident ${INCIDENT_ID}"', confirm: true, placeholders: ['INCIDENT_ID'] },
      { phase: 'postflight', title: 'Lift the deploy freeze once the incident is resolved.', manual: true },
      { phase: 'postflight', title: 'Open the postmortem document from the template and book the review within five working days.', manual: true },
    ]);
    expect(d.choices).toEqual([
      {
        name: 'roles',
        title: 'Roles',
        options: [
          { name: 'incident-commander', title: 'Incident commander', steps: ['incident-commander-1', 'incident-commander-2', 'incident-commander-3'] },
          { name: 'communications-lead', title: 'Communications lead', steps: ['communications-lead-1', 'communications-lead-2'] },
          { name: 'operations-lead', title: 'Operations lead', steps: ['operations-lead-1', 'operations-lead-2'] },
        ],
      },
    ]);
    const ops = load('incident-commander-guide.md', { 'roles': 'operations-lead' });
    expect(ops.checklists.preflight.map((s) => s.id)).toEqual(['declare-the-incident-1', 'declare-the-incident-2', 'declare-the-incident-3', 'operations-lead-1', 'operations-lead-2']);
  });

  it('Japanese: 事前確認 is preflight, 検証 postflight, 切り戻し the rollback; console output is not run', () => {
    const d = doc('kafka-rolling-restart-ja.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'under-replicated パーティションが 0 であることを確認する:', runs: 'kafka-topics.sh --bootstrap-server kafka-1:9092 --describe --under-replicated-partitions | wc -l', confirm: true },
      { phase: 'preflight', title: 'コントローラーがどのブローカーかを確認し、最後に再起動する。', manual: true },
      { phase: 'preflight', title: 'ブローカーを停止する:', runs: 'ssh kafka-1 sudo systemctl stop kafka', confirm: 'typed' },
      { phase: 'preflight', title: '設定を反映して起動する:', runs: 'ssh kafka-1 sudo systemctl start kafka\nssh kafka-1 systemctl is-active kafka', confirm: true },
      { phase: 'preflight', title: 'ISR が戻るまで待つ（通常 2〜5 分）。', manual: true },
      { phase: 'postflight', title: 'すべてのパーティションの ISR が 3 に戻っている', manual: true },
      { phase: 'postflight', title: 'コンシューマーラグが 10 分以内に平常値へ戻る', manual: true },
    ]);
    expect(rollbackTitle(d)).toBe('切り戻し');
    expect(d.name).toBe('Kafka ブローカーのローリング再起動');
  });

  it('CRLF and PowerShell: `PS C:\\>` commands are for a person to type, shown with their step, never run by bash', () => {
    expect(readFileSync(join(DIR, 'iis-app-pool-recycle-crlf.md'), 'utf8')).toContain('\r\n');
    const d = doc('iis-app-pool-recycle-crlf.md');
    // A URL followed by what it should answer is a thing to check, not a link.
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Take the server out of the F5 pool billing_web_443 and wait for its connections to drain.', manual: true },
      { phase: 'preflight', title: 'Look at the worker process memory:', manual: true },
      { phase: 'preflight', title: 'Recycle the pool:', manual: true },
      { phase: 'preflight', title: 'Put the server back in the F5 pool.', manual: true },
      { phase: 'postflight', title: 'https://billing.example.com/health answers OK from both servers.', manual: true },
      { phase: 'postflight', title: "The portal's p95 latency on the dashboard is back under 800 ms.", manual: true },
    ]);
    expect(description(d, 'recycle-2')).toBe('Recycle — Import-Module WebAdministration; Restart-WebAppPool -Name "BillingPortal"');
    expect(description(d, 'before-you-start-1')).toContain('Note: These servers are Windows only');
  });

  it('Chinese: numbered steps right under the title are steps; 注意事项 is a notes section; FLUSHDB asks a typed confirmation', () => {
    const d = doc('redis-cache-flush-zh.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: '确认当前连接的是会话缓存实例，而不是订单队列实例：', runs: 'redis-cli -h redis-session.internal -p 6379 INFO keyspace', confirm: true },
      { phase: 'preflight', title: '在 #ops-announce 频道通知：会话将被清空，用户需要重新登录。', manual: true },
      { phase: 'preflight', title: '清空会话数据库：', runs: 'redis-cli -h redis-session.internal -p 6379 -n 0 FLUSHDB ASYNC', confirm: 'typed' },
      { phase: 'preflight', title: '确认键数量下降：', runs: 'redis-cli -h redis-session.internal -p 6379 DBSIZE', confirm: true },
      { phase: 'postflight', title: '登录页面可以正常登录，并生成新的会话。', manual: true },
      { phase: 'postflight', title: '应用日志中没有 SerializationException。', manual: true },
    ]);
    expect(d.actions).toBeUndefined();
  });

  it('alternatives as sibling sections "Option A" / "Option B": a choice; <POOL> and ${REGION} are placeholders; drain asks a typed confirmation', () => {
    const d = doc('node-pool-upgrade-options.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: "The PodDisruptionBudgets of the pool's workloads allow at least one pod down:", runs: 'kubectl get pdb -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,ALLOWED:.status.disruptionsAllowed', confirm: true },
      { phase: 'preflight', title: 'Note the current version of the pool in the change ticket.', manual: true },
      { phase: 'preflight', title: 'Allow one extra node and no unavailable one:', runs: 'gcloud container node-pools update "${POOL}" --cluster "${CLUSTER}" --region ${REGION} --max-surge-upgrade 1 --max-unavailable-upgrade 0', confirm: true, placeholders: ['POOL', 'CLUSTER', 'REGION'] },
      { phase: 'preflight', title: 'Start the upgrade; GKE replaces the nodes one by one:', runs: 'gcloud container clusters upgrade "${CLUSTER}" --node-pool "${POOL}" --region ${REGION} --quiet', confirm: true, placeholders: ['CLUSTER', 'POOL', 'REGION'] },
      { phase: 'preflight', title: 'Create the green pool on the new version:', runs: 'gcloud container node-pools create "${POOL}"-green --cluster "${CLUSTER}" --region ${REGION} --num-nodes 3', confirm: true, placeholders: ['POOL', 'CLUSTER', 'REGION'] },
      { phase: 'preflight', title: 'Cordon and drain every node of the blue pool:', runs: 'for n in $(kubectl get nodes -l cloud.google.com/gke-nodepool="${POOL}" -o name); do\n  kubectl cordon "$n"\n  kubectl drain "$n" --ignore-daemonsets --delete-emptydir-data --timeout=15m\ndone', confirm: 'typed', placeholders: ['POOL'] },
      { phase: 'preflight', title: 'Delete the blue pool once its nodes are empty.', manual: true },
      { phase: 'postflight', title: 'kubectl get nodes -L cloud.google.com/gke-nodepool shows every node of the pool on the new version.', manual: true },
      { phase: 'postflight', title: 'No pod has been Pending for more than five minutes.', manual: true },
    ]);
    expect(d.choices).toEqual([
      {
        name: 'choice',
        title: "Upgrade a GKE node pool to the control plane's version",
        options: [
          { name: 'option-a-surge-upgrade', title: 'Option A: surge upgrade', steps: ['option-a-surge-upgrade-1', 'option-a-surge-upgrade-2'] },
          { name: 'option-b-blue-green-upgrade', title: 'Option B: blue-green upgrade', steps: ['option-b-blue-green-upgrade-1', 'option-b-blue-green-upgrade-2', 'option-b-blue-green-upgrade-3'] },
        ],
      },
    ]);
    const blue = load('node-pool-upgrade-options.md', { 'choice': 'option-b-blue-green-upgrade' });
    expect(blue.checklists.preflight.map((s) => s.id)).toEqual(['before-the-upgrade-1', 'before-the-upgrade-2', 'option-b-blue-green-upgrade-1', 'option-b-blue-green-upgrade-2', 'option-b-blue-green-upgrade-3']);
  });

  it('a fill-in change-request template: only its approval checklist is steps; the empty "Rollback plan" is no rollback action', () => {
    const d = doc('change-request-template.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Peer review by someone who was not involved in the change', manual: true },
      { phase: 'preflight', title: 'Service owner approval', manual: true },
      { phase: 'preflight', title: 'Change advisory approval (medium and high risk only)', manual: true },
    ]);
    expect(d.actions).toBeUndefined();
    expect(d.name).toBe('Change request: <SERVICE> <CHANGE>');
  });

  it('task items and `1. [ ]` tasks with nested fences right under the title; Downgrade is the rollback', () => {
    const d = doc('release-day-tasks.md');
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Confirm the release branch is green on CI and the changelog is merged.', manual: true },
      { phase: 'preflight', title: 'Announce the start in #releases.', manual: true },
      { phase: 'preflight', title: 'Tag the release:', runs: 'git fetch origin\ngit tag -a "v${VERSION}" origin/release/${VERSION} -m "billing-service ${VERSION}"\ngit push origin "v${VERSION}"', confirm: true, placeholders: ['VERSION'] },
      { phase: 'preflight', title: 'Deploy to staging and wait for the smoke suite:', runs: './scripts/deploy.sh staging "v${VERSION}"', confirm: true, placeholders: ['VERSION'] },
      { phase: 'preflight', title: 'Deploy to production:', runs: './scripts/deploy.sh production "v${VERSION}"', confirm: true, placeholders: ['VERSION'] },
      { phase: 'preflight', title: 'Close the milestone and post the release notes.', manual: true },
    ]);
    expect(rollbackTitle(d)).toBe('Downgrade');
    expect(rollbackScript(d)).toContain(': "${PREVIOUS_VERSION:?needs a value for PREVIOUS_VERSION}"');
  });

  it('a credential rotation: user@host and root@host# prompts, a here-document in `> ` continuations, a variable set in one step used in the next', () => {
    const d = doc('replication-password-rotation.md');
    // NEW_PW is set by the first block: the run's one shell carries it, no placeholder.
    expect(outline(d)).toEqual([
      { phase: 'preflight', title: 'Run: NEW_PW="$(openssl rand -base64 32)" (+1 more)', runs: 'NEW_PW="$(openssl rand -base64 32)"\nvault kv put secret/ledger-db/replicator password="$NEW_PW"', confirm: true },
      { phase: 'preflight', title: 'Run: NEW_PW="$(vault kv get -field=password secret/ledger-db/replicator)" (+3 more)', runs: "NEW_PW=\"$(vault kv get -field=password secret/ledger-db/replicator)\"\nrunuser -u postgres -- psql -v pw=\"$NEW_PW\" <<'SQL'\nALTER ROLE replicator WITH PASSWORD :'pw';\nSQL", confirm: true },
      { phase: 'preflight', title: "Run: sed -i \"s/^primary_conninfo = .*/primary_conninfo = 'host=ledger-db-1 user=replicator password=${NE… (+1 more)", runs: "sed -i \"s/^primary_conninfo = .*/primary_conninfo = 'host=ledger-db-1 user=replicator password=${NEW_PW}'/\" /etc/postgresql/16/main/postgresql.auto.conf\nsystemctl reload postgresql@16-main", confirm: true },
      { phase: 'postflight', title: 'Run: psql -Atc "select client_addr, state from pg_stat_replication"', runs: 'psql -Atc "select client_addr, state from pg_stat_replication"', confirm: true },
      { phase: 'postflight', title: "The backup agent's next run (hourly) succeeds.", manual: true },
    ]);
    expect(description(d, 'generate-and-store-the-new-password-1')).toContain('Expected output: Key Value; --- -----; created_time 2026-09-30T08:12:44.51Z; version 7');
    expect(rollbackTitle(d)).toBe('Roll back');
  });

  it('Docusaurus: front matter, imports, `:::caution` admonitions are notes, <Tabs>/<TabItem> are a choice, "Check the restore" is postflight', () => {
    const d = doc('backup-restore-docusaurus.md');
    expect(outline(d)).toEqual([
      // `curl … | jq … | tail -5` lists the snapshots to pick from: the operator runs it (a check would drop the pipe).
      { phase: 'preflight', title: "Run: curl -fsS \"http://127.0.0.1:9200/_snapshot/nightly/_all?verbose=false\" | jq -r '.snapshots[].snapsh…", runs: "curl -fsS \"http://127.0.0.1:9200/_snapshot/nightly/_all?verbose=false\" | jq -r '.snapshots[].snapshot' | tail -5", confirm: true },
      { phase: 'preflight', title: "Run: curl -fsS -X PUT \"http://127.0.0.1:9200/_snapshot/nightly\" -H 'Content-Type: application/json' -d '…", runs: "curl -fsS -X PUT \"http://127.0.0.1:9200/_snapshot/nightly\" -H 'Content-Type: application/json' \\\n  -d '{\"type\":\"s3\",\"settings\":{\"bucket\":\"acme-search-snapshots\",\"region\":\"eu-west-1\"}}'", confirm: 'typed' },
      { phase: 'preflight', title: "Run: curl -fsS -X PUT \"http://127.0.0.1:9200/_snapshot/nightly\" -H 'Content-Type: application/json' -d '…", runs: "curl -fsS -X PUT \"http://127.0.0.1:9200/_snapshot/nightly\" -H 'Content-Type: application/json' \\\n  -d '{\"type\":\"gcs\",\"settings\":{\"bucket\":\"acme-search-snapshots\"}}'", confirm: 'typed' },
      { phase: 'preflight', title: 'Close the index:', runs: 'curl -fsS -X POST "http://127.0.0.1:9200/products/_close"', confirm: 'typed' },
      { phase: 'preflight', title: 'Restore it from the snapshot you picked:', runs: "curl -fsS -X POST \"http://127.0.0.1:9200/_snapshot/nightly/${SNAPSHOT}/_restore\" \\\n  -H 'Content-Type: application/json' -d '{\"indices\":\"products\"}'", confirm: 'typed', placeholders: ['SNAPSHOT'] },
      { phase: 'postflight', title: 'GET /_cluster/health/products answers 200 with status green.', http: 'GET app/_cluster/health/products' },
      { phase: 'postflight', title: 'A search on the shop returns products.', manual: true },
    ]);
    expect(d.choices).toEqual([
      {
        name: 'register-the-repository',
        title: 'Register the repository',
        options: [
          { name: 'amazon-s3', title: 'Amazon S3', steps: ['amazon-s3-1'] },
          { name: 'google-cloud-storage', title: 'Google Cloud Storage', steps: ['google-cloud-storage-1'] },
        ],
      },
    ]);
    expect(description(d, 'find-the-snapshot-1')).toBe(
      'Find the snapshot — Caution: Restoring closes the index for a few minutes: product search answers 503 until it is open again. — Tip: Pick the last snapshot taken before the incident started, not the latest one.',
    );
    const gcs = load('backup-restore-docusaurus.md', { 'register-the-repository': 'google-cloud-storage' });
    expect(gcs.checklists.preflight.map((s) => s.id)).toEqual(['find-the-snapshot-1', 'google-cloud-storage-1', 'restore-1', 'restore-2']);
  });

  it('the corpus holds at least 20 runbooks; each converts to a document the whole runbook schema accepts, and loads', () => {
    const names = readdirSync(DIR).filter((n) => n.endsWith('.md'));
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const name of names) {
      const r = RunbookSchema.safeParse(doc(name));
      expect(r.success, `${name}: ${r.error?.message}`).toBe(true);
      const given = Object.fromEntries(Object.entries((doc(name).params ?? {}) as Record<string, { default?: unknown }>).filter(([, p]) => p.default === undefined).map(([n]) => [n, n === 'CHANGE_ID' ? 'CHG-1' : n === 'ZONE_ID' ? 'Z123' : 'x']));
      expect(() => load(name, {}, given), name).not.toThrow();
    }
  });
});
