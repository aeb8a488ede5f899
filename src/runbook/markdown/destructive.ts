// Whether a command looks destructive: it deletes, drops, kills, forces, scales to zero or
// writes to a remote service. Such a block asks for the typed confirmation actions use, not
// a plain Enter. A pure reading of the text: it errs towards asking.

/** A command word at the start of a command (after `;`, `&&`, `|`, `(`, `sudo`, `xargs`, `exec`). */
const AT = String.raw`(?:^|[;&|(!]\s*|\b(?:sudo|xargs|exec|nohup|env|command|time)\s+(?:-\S+\s+)*)`;
/** The rest of one command: up to a pipe, a list or the end of the line. */
const ARGS = String.raw`[^\n|;&]*`;
const re = (source: string, flags = '') => new RegExp(source, flags);

// Each row: a pattern and what it does, as the operator reads it in the confirmation.
const RULES: { pattern: RegExp; what: string }[] = [
  // Kubernetes and OpenShift
  { pattern: /\b(?:kubectl|oc)\b[^\n|;&]*\s(delete|drain|cordon|taint|replace\s+--force|rollout\s+undo|patch)\b/, what: 'changes the cluster' },
  { pattern: /\bscale\b[^\n|;&]*--replicas[= ]0\b/, what: 'scales to zero' },
  { pattern: /\breplicas[=:]\s*0\b/, what: 'scales to zero' },
  // helm rollback, uninstall and their short names (del, un)
  { pattern: re(String.raw`\bhelm\b${ARGS}\s(?:rollback|uninstall|delete|del|un)\b`), what: 'rolls back or removes a release' },
  // SQL: DROP …, ALTER TABLE … DROP, TRUNCATE, DELETE FROM, UPDATE … SET (in psql -c, a pipe or a here-document)
  { pattern: /\bdrop\s+(?:table|database|schema|index|user|role|view|materialized\s+view|column|constraint|sequence|function|trigger|extension|tablespace|owned|keyspace|collection)\b/i, what: 'drops data' },
  { pattern: /\balter\s+table\b[^\n;]*\bdrop\b/i, what: 'drops data' },
  { pattern: /\btruncate\b/i, what: 'truncates' },
  { pattern: /\bdelete\s+from\b/i, what: 'deletes rows' },
  { pattern: /\bupdate\s+[\w."]+\s+set\b/i, what: 'changes rows' },
  { pattern: /\b(?:dropdb|dropuser|flushall|flushdb)\b/i, what: 'drops data' },
  // MongoDB: db.dropDatabase(), coll.drop(), deleteMany(), remove()
  { pattern: /\.(?:drop\w*|deleteMany|deleteOne|remove)\s*\(/, what: 'drops data' },
  // Files: rm -r in any order of its options, rm of a glob, find -delete / -exec rm, shred, `: > file`
  { pattern: re(String.raw`${AT}rm${ARGS}\s(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)(?=\s|$)`), what: 'removes recursively' },
  { pattern: re(String.raw`${AT}rm\s${ARGS}\*`), what: 'removes files by a pattern' },
  { pattern: /\bfind\b[^\n|;&]*\s-delete\b/, what: 'deletes files' },
  { pattern: /\bfind\b[^\n|]*\s-(?:exec|execdir|ok)\s+(?:sudo\s+)?(?:rm|shred|unlink)\b/, what: 'deletes files' },
  { pattern: /\bshred\b/, what: 'destroys files' },
  { pattern: /(?:^|;|&&|\|\||\()\s*(?::|true)?\s*>(?![>&])\s*[^\s>&|]/, what: 'empties a file' },
  // Processes and services
  { pattern: /(?:^|[\s;&|(])(?:kill|pkill|killall)\b/, what: 'kills processes' },
  { pattern: /\bsystemctl\s+(?:stop|disable|mask|kill)\b/, what: 'stops a service' },
  { pattern: /\bservice\s+\S+\s+(?:stop|force-stop)\b/, what: 'stops a service' },
  { pattern: /(?:^|[\s;&|(])(?:reboot|shutdown|halt|poweroff|mkfs(?:\.\w+)?|wipefs)\b/, what: 'takes a machine down or wipes a disk' },
  { pattern: /\bdd\b[^\n|;&]*\bof=/, what: 'writes a device' },
  { pattern: /\b(?:lvremove|vgremove|pvremove)\b|\b(?:zpool|zfs)\s+destroy\b/, what: 'removes a volume' },
  { pattern: /\bcrontab\b[^\n|;&]*\s-[a-zA-Z]*r\b/, what: 'removes the crontab' },
  { pattern: /\b(?:ip6?tables|ebtables)\b[^\n|;&]*\s(?:-[a-zA-Z]*[FXD]\b|--flush|--delete)|\bnft\s+(?:flush|delete)\b|\bufw\s+(?:disable|reset|delete)\b/, what: 'changes the firewall' },
  // git: forced or deleting pushes (--force, -f, +ref, :ref, --delete), branch -D, clean -f, reset --hard
  { pattern: /--force\b|\bpush\s+(?:[^\n|;&]*\s)?-f\b/, what: 'forces' },
  { pattern: /\bpush\b[^\n|;&]*\s[+:][\w./-]/, what: 'overwrites or deletes a remote branch' },
  { pattern: /\s--delete\b/, what: 'deletes' },
  { pattern: /\bgit\s+branch\b[^\n|;&]*\s-[a-zA-Z]*D/, what: 'deletes a branch' },
  { pattern: /\bgit\s+clean\b[^\n|;&]*\s-[a-zA-Z]*f/, what: 'deletes untracked files' },
  { pattern: /\breset\s+--hard\b/, what: 'discards changes' },
  // Infrastructure: terraform destroy / apply (with -chdir or -auto-approve) / state rm, clouds
  { pattern: /\b(?:terraform|tofu)\b(?:\s+-\S+)*\s+(?:destroy|apply|import|taint|force-unlock)\b/, what: 'changes infrastructure' },
  { pattern: /\b(?:terraform|tofu)\b[^\n|;&]*\sstate\s+(?:rm|mv|push|replace-provider)\b/, what: 'changes infrastructure state' },
  { pattern: /\baws\s+s3\s+(?:rm|rb)\b/, what: 'deletes from S3' },
  { pattern: /\baws\s+[\w-]+\s+(?:delete|terminate|deregister|remove|purge|revoke|stop|disable)-[\w-]+/, what: 'deletes or stops cloud resources' },
  { pattern: /\b(?:docker|podman)\s+(?:rm|rmi|kill|system\s+prune|volume\s+(?:rm|prune)|container\s+prune|image\s+prune)\b/, what: 'removes containers or data' },
  { pattern: /\b(?:docker[\s-]compose|podman-compose)\b[^\n|;&]*\sdown\b/, what: 'removes containers (and with -v, their volumes)' },
  // HTTP: curl with another method (-X DELETE, -sXDELETE, --request=PUT) or a body (-d, -fsSd, --data, --json, -F, -T), wget, httpie
  { pattern: /\bcurl\b[^\n|;&]*\s(?:-[a-zA-Z]*X\s*|--request[= ]\s*)['"]?(?:DELETE|POST|PUT|PATCH)\b/i, what: 'writes to a service' },
  { pattern: /\bcurl\b[^\n|;&]*\s(?:-[a-zA-Z]*[dFT]|--data[\w-]*|--json|--form[\w-]*|--upload-file)/, what: 'writes to a service' },
  { pattern: /\bwget\b[^\n|;&]*\s--(?:method[= ]\s*['"]?(?:DELETE|POST|PUT|PATCH)|post-data|post-file|body-data|body-file)\b/i, what: 'writes to a service' },
  { pattern: /\b(?:https?|xh)\s+(?:-\S+\s+)*(?:DELETE|POST|PUT|PATCH)\b/, what: 'writes to a service' },
  // Code from elsewhere: a pipe into a shell (curl … | sh), bash <(curl …), sh -c "$(curl …)"
  { pattern: /\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|k|da)?sh\b/, what: 'runs a script it downloads or builds' },
  { pattern: /\b(?:(?:ba|z)?sh|source|\.)\s+<\(/, what: 'runs a script it downloads' },
  { pattern: /\bsh\s+-c\s+["']?\$\(\s*(?:curl|wget)\b/, what: 'runs a script it downloads' },
  // Words that say it: delete, destroy, purge, wipe, terminate, deregister (gcloud, az, virsh, k delete …)
  { pattern: /(?:^|\s)(?:delete|destroy|purge|wipe|terminate|deregister)(?=\s|$)/i, what: 'deletes' },
];

/** Why the block looks destructive (`kubectl delete pod x: changes the cluster`), or undefined. */
export function destructiveReason(script: string): string | undefined {
  // A command continued with a backslash is read as one line (`aws s3 rm s3://x \` + `--recursive`).
  const lines = script.replace(/\\\r?\n/g, ' ').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const rule of RULES) {
      if (rule.pattern.test(line)) return `${line.length > 60 ? `${line.slice(0, 59)}…` : line}: ${rule.what}`;
    }
  }
  return undefined;
}

/**
 * How a block the operator starts is confirmed: typed (the step's id) when it looks
 * destructive or the runbook asks for typed, Enter otherwise. The one place this is decided:
 * `confirm=enter` never lowers a destructive block, and no annotation can, so an author cannot
 * silence the destructive reading by accident. A team that means Enter for such a block
 * converts the runbook to YAML (opscockpit convert) and writes `confirm: true` there.
 */
export function blockConfirm(block: { destructive?: string; confirm?: 'typed' | 'enter' }): true | 'typed' {
  return block.destructive || block.confirm === 'typed' ? 'typed' : true;
}
