// A git work tree as a clone leaves it, made by hand: `.git/config` naming `origin` (or no
// remote at all) and a runbook inside it, in a new temp folder of its own.
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHIP_YAML = 'version: 1\nname: Ship\nchecks:\n  ok: { script: { command: /bin/true } }\nchecklists:\n  preflight:\n    - { id: ready, check: ok }\n';

/** A work tree at `<new temp dir>/<name>` whose .git/config names `origin` (undefined: no remote), with ops/ship.yaml holding `text`. */
export function clone(origin: string | undefined, name = 'ops-repo', text = SHIP_YAML): { root: string; file: string } {
  const root = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-'))), name);
  mkdirSync(join(root, '.git'), { recursive: true });
  mkdirSync(join(root, 'ops'));
  const remote = origin === undefined ? '' : `[remote "origin"]\n\turl = ${origin}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`;
  writeFileSync(join(root, '.git', 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n${remote}[branch "main"]\n\tremote = origin\n`);
  const file = join(root, 'ops', 'ship.yaml');
  writeFileSync(file, text);
  return { root, file };
}
