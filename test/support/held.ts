// Actions held open by a test: a script that waits until its gate file exists, and the gates
// of one test file, every one opened when a test ends (one that failed early leaves none shut,
// so no script loops on after it).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A gate not yet open: the file a held script waits for, and what opens it. */
export interface Gate {
  file: string;
  release: () => void;
}

export class Gates {
  private readonly shut: (() => void)[] = [];

  make(): Gate {
    const file = join(mkdtempSync(join(tmpdir(), 'oc-gate-')), 'release');
    const release = () => writeFileSync(file, '');
    this.shut.push(release);
    return { file, release };
  }

  /** For afterEach: every gate made since the last call, opened. */
  openAll(): void {
    for (const release of this.shut.splice(0)) release();
  }
}

/**
 * An executable script in `dir` that prints `start` (if given), waits until `gate` exists or
 * its folder is gone, then prints `end`; returns its path.
 */
export function heldScript(dir: string, gate: string, say: { start?: string; end: string }): string {
  const file = join(dir, 'held.sh');
  const start = say.start === undefined ? '' : `echo ${say.start}\n`;
  writeFileSync(file, `#!/usr/bin/env bash\n${start}while [ ! -e '${gate}' ] && [ -d '${dirname(gate)}' ]; do sleep 0.05; done\necho ${say.end}\n`);
  chmodSync(file, 0o755);
  return file;
}
