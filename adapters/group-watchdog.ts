// The process groups this process starts (scripts, blocks, the run's shells) end with it, even
// when it cannot shut them down: a SIGKILL, an out-of-memory kill. One small `sh` per process,
// started before the first group, reads a pipe whose write end only this process holds: a line
// `+PGID` as each group starts, `-PGID` once it has ended. When this process dies the kernel
// closes that end; the watchdog reads EOF and kills the groups still listed (TERM, then KILL
// after the grace), then exits. It has its own session (a closed terminal's SIGHUP does not
// reach it) and holds none of the scripts' pipes: a step's output ends as it did without it.
import { spawn, type ChildProcess } from 'node:child_process';

/** POSIX sh: no fork per line; a group that already ended is skipped without a word. */
const SCRIPT = `trap '' HUP INT TERM PIPE
g=' '
while read -r l; do
  p=\${l#?}
  case $l in
    +*) g="$g$p " ;;
    -*) case $g in *" $p "*) g="\${g%% $p *} \${g#* $p }" ;; esac ;;
  esac
done
[ -n "\${g# }" ] || exit 0
for p in $g; do kill -TERM -$p 2>/dev/null; done
sleep "$1"
for p in $g; do kill -KILL -$p 2>/dev/null; done
`;

export class GroupWatchdog {
  private child?: ChildProcess;
  private readonly groups = new Set<number>();

  constructor(private readonly graceMs: number) {}

  /** Started, if it is not: before the first group is spawned (LiveGroups.prepare). */
  ready(): void {
    if (!this.child) this.start();
  }

  add(pgid: number): void {
    this.groups.add(pgid);
    if (!this.child) this.start();
    else this.send(`+${pgid}\n`);
  }

  delete(pgid: number): void {
    if (this.groups.delete(pgid)) this.send(`-${pgid}\n`);
  }

  /** The watchdog's pid, while one runs (for tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): void {
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', SCRIPT, 'opscockpit-watchdog', String(this.graceMs / 1000)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      return; // no watchdog: the orderly shutdown still kills the groups
    }
    this.child = child;
    // Neither the watchdog nor its pipe keeps this process alive; a watchdog gone (killed by
    // hand) is started again with the groups still live at the next group.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdin?.on('error', () => undefined);
    child.on('error', () => undefined);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.send([...this.groups].map((g) => `+${g}\n`).join(''));
  }

  private send(text: string): void {
    if (text && this.child?.stdin?.writable) this.child.stdin.write(text);
  }
}
