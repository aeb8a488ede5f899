// How long stopping a script may take. Apart from the adapter, so the CLI's entry can bound
// its shutdown by it without loading execa at every start.
import { GroupWatchdog } from './group-watchdog.js';

/** Time between SIGTERM and SIGKILL for the process group. */
export const KILL_GRACE_MS = 1000;
/**
 * How long the output pipes may stay open once the script has exited (or been killed): a
 * process that left the group (setsid, a daemon) and holds them open is not waited for.
 */
export const PIPE_GRACE_MS = 500;

/**
 * Process groups this process has started and not yet seen end (scripts, run shells). Each is
 * also told to the watchdog, which kills it if this process dies without doing so.
 */
class LiveGroups extends Set<number> {
  private watchdog?: GroupWatchdog;

  /**
   * Call before spawning a group: the watchdog is started (exec'd, its pipe open) before the
   * group exists, so the group's `+PGID` written right after its spawn is never too late.
   */
  prepare(): void {
    this.dog().ready();
  }

  override add(pgid: number): this {
    super.add(pgid);
    this.dog().add(pgid);
    return this;
  }

  /** The watchdog, made with the first group. */
  private dog(): GroupWatchdog {
    return (this.watchdog ??= new GroupWatchdog(KILL_GRACE_MS));
  }

  override delete(pgid: number): boolean {
    this.watchdog?.delete(pgid);
    return super.delete(pgid);
  }

  override clear(): void {
    for (const pgid of this) this.watchdog?.delete(pgid);
    super.clear();
  }

  /** The watchdog's pid, once a group started it. */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }
}

export const liveGroups = new LiveGroups();

/** SIGKILL to every group still alive: for an exit that cannot wait for the orderly shutdown. */
export function killLiveGroups(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
}
