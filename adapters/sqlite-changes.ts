// How a SQLite ledger's subscribers hear of a change. Another process's commit shows in SQLite's
// data_version, this process's own in a counter; together, the store's change token. Reading it
// four times a second for as long as a cockpit stays open (four wake-ups and a read lock each
// time) was a good share of what an idle cockpit cost. So the file system says when the ledger's
// files were written (fs.watch on their folder: inotify, FSEvents, ReadDirectoryChangesW) and the
// token is read then (on Linux; elsewhere it is polled as before). A commit writes the WAL before it publishes itself in the shared-memory
// index, which no watch sees: after an event the token is read again a little later
// (RETRY_MS). Where the folder cannot be watched, or the watch fails, the token is read every
// POLL_MS as before; with a watch, every SAFETY_MS all the same, for an event the system dropped.
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** How often the token is read without a watch. */
export const POLL_MS = 250;
/** After a file event, the token is read this long after it, then after each later delay. */
export const RETRY_MS: readonly number[] = [5, 50, 250];
/** With a watch, how often the token is read all the same. */
export const SAFETY_MS = 5_000;
/** Where a watch is known to tell of each write at once (inotify). */
const WATCHED_PLATFORMS = new Set<NodeJS.Platform>(['linux']);

export interface ChangeFollower {
  /** Stop following (idempotent). */
  stop(): void;
  /** Whether the folder is watched (else the token is polled every POLL_MS). */
  readonly watched: boolean;
}

/**
 * Calls `onChange` when `token()` reads differently, looking when `file` (or its -wal, -shm,
 * -journal) is written. A token that throws (the ledger closed under the subscriber) stops it.
 */
export function followChanges(file: string, token: () => string, onChange: () => void): ChangeFollower {
  let seen = token();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  let watcher: FSWatcher | undefined;

  /** Read the token; tell a change. */
  const look = (): void => {
    if (stopped) return;
    let now: string;
    try {
      now = token();
    } catch {
      return stop();
    }
    if (now === seen) return;
    seen = now;
    onChange();
  };
  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  };
  // Every read of the schedule is made, a change found or not: events that came together share
  // it, and a later commit among them may be published after an earlier read found the first.
  const next = (): void => {
    retry = undefined;
    look();
    if (stopped || ++attempt >= RETRY_MS.length) return;
    retry = later(RETRY_MS[attempt], next);
  };
  // One commit writes several times: the events of a burst share one read.
  const onEvent = (): void => {
    if (stopped) return;
    attempt = 0;
    retry ??= later(RETRY_MS[0], next);
  };
  const poll = (ms: number): void => {
    clearInterval(timer);
    timer = setInterval(look, ms);
    timer.unref();
  };
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(retry);
    watcher?.close();
    watcher = undefined;
  };

  // SQLite writes its -wal beside the file a symbolic link points to, not beside the link.
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // Not there yet: its folder is watched as given.
  }
  const base = basename(real);
  // Linux's inotify tells of every write at once. FSEvents (macOS) and Windows' notifications
  // may wait for a file still open (SQLite keeps its WAL open) to be closed: not verified
  // there, those poll as before.
  if (WATCHED_PLATFORMS.has(process.platform)) {
    try {
      watcher = watch(dirname(real), { persistent: false }, (_event, name) => {
        if (name === null || String(name).startsWith(base)) onEvent();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
        if (!stopped) poll(POLL_MS);
      });
    } catch {
      watcher = undefined; // no such folder, or no watches left
    }
  }
  poll(watcher ? SAFETY_MS : POLL_MS);
  return {
    stop,
    get watched() {
      return watcher !== undefined;
    },
  };
}
