// Whether a command looks destructive: it deletes, drops, kills, forces, scales to zero or
// writes to a remote service. Such a block asks for the typed confirmation actions use, not
// a plain Enter. A pure reading of the text: it errs towards asking.

const RULES: { pattern: RegExp; what: string }[] = [
  { pattern: /\b(?:kubectl|oc)\b[^\n|;&]*\s(delete|drain|cordon|taint|replace\s+--force|rollout\s+undo|patch)\b/, what: 'changes the cluster' },
  { pattern: /\bscale\b[^\n|;&]*--replicas[= ]0\b/, what: 'scales to zero' },
  { pattern: /\breplicas[=:]\s*0\b/, what: 'scales to zero' },
  { pattern: /\bhelm\s+(?:rollback|uninstall|delete)\b/, what: 'rolls back or removes a release' },
  { pattern: /\bdrop\s+(?:table|database|schema|index|user|role|view)\b/i, what: 'drops data' },
  { pattern: /\btruncate\b/i, what: 'truncates' },
  { pattern: /\bdelete\s+from\b/i, what: 'deletes rows' },
  { pattern: /\b(?:dropdb|dropuser|flushall|flushdb)\b/i, what: 'drops data' },
  { pattern: /\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b/, what: 'removes recursively' },
  { pattern: /\bfind\b[^\n|;&]*\s-delete\b/, what: 'deletes files' },
  { pattern: /(?:^|[\s;&|(])(?:kill|pkill|killall)\b/, what: 'kills processes' },
  { pattern: /--force\b|\bpush\s+(?:[^\n|;&]*\s)?-f\b/, what: 'forces' },
  { pattern: /\breset\s+--hard\b/, what: 'discards changes' },
  { pattern: /\b(?:terraform|tofu)\s+(?:destroy|apply)\b/, what: 'changes infrastructure' },
  { pattern: /\b(?:docker|podman)\s+(?:rm|rmi|kill|system\s+prune|volume\s+rm)\b/, what: 'removes containers or data' },
  { pattern: /\bsystemctl\s+(?:stop|disable|mask|kill)\b/, what: 'stops a service' },
  { pattern: /(?:^|[\s;&|(])(?:reboot|shutdown|halt|poweroff|mkfs(?:\.\w+)?|wipefs)\b/, what: 'takes a machine down or wipes a disk' },
  { pattern: /\bdd\b[^\n|;&]*\bof=/, what: 'writes a device' },
  { pattern: /\bcurl\b[^\n|;&]*(?:-X\s*|--request[= ]\s*)['"]?(?:DELETE|POST|PUT|PATCH)\b/, what: 'writes to a service' },
  { pattern: /\bcurl\b[^\n|;&]*\s(?:-d|--data(?:-raw|-binary|-urlencode)?|--json|-F|--form|-T|--upload-file)\b/, what: 'writes to a service' },
  { pattern: /\bhttp\s+(?:DELETE|POST|PUT|PATCH)\b/, what: 'writes to a service' },
  { pattern: /(?:^|\s)(?:delete|destroy|purge|wipe|terminate|deregister)(?=\s|$)/i, what: 'deletes' },
];

/** Why the block looks destructive (`kubectl delete pod x: changes the cluster`), or undefined. */
export function destructiveReason(script: string): string | undefined {
  const lines = script.split('\n');
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
