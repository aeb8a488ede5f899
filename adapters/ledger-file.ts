// Whether a SQLite ledger's path still names the file this process opened. When the file is
// deleted (its folder removed) or replaced (a copy moved over it) while a cockpit has it open,
// SQLite goes on writing the file it opened, which no other process can reach any more: a stop
// recorded there would be seen by nobody. So the store looks before each operation (one stat)
// and from then on the ledger is unreachable for this process, with the reason said once; what
// the lost file holds (readable only through this connection now) is first copied to a file
// the operator can keep.
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LedgerError } from './ledger-errors.js';

/** The ledger's file is gone or another file: unreachable for good (isLedgerLost). */
export class LedgerFileLostError extends LedgerError {
  readonly unreachable = true as const;
  readonly lost = true as const;
}

type FileId = { dev: number; ino: number };

/** The file at `path`; undefined when there is none, 'unknown' when the stat failed otherwise. */
function fileId(path: string): FileId | undefined | 'unknown' {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch (err) {
    // Only a missing file (or folder) says it is gone: a network file system's hiccup does not.
    const code = (err as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : 'unknown';
  }
}

export class LedgerFile {
  private readonly opened?: FileId;
  private lost?: LedgerFileLostError;

  /** `rescue(to)`: copy what the open connection holds to a new file (VACUUM INTO). */
  constructor(
    private readonly path: string,
    private readonly rescue: (to: string) => void,
  ) {
    const id = fileId(path);
    this.opened = typeof id === 'object' ? id : undefined;
  }

  /** Whether the path still names the opened file (always, for a ledger not in a file). */
  get same(): boolean {
    if (!this.opened || this.lost) return !this.lost;
    const now = fileId(this.path);
    if (now === 'unknown') return true;
    return now !== undefined && now.dev === this.opened.dev && now.ino === this.opened.ino;
  }

  /**
   * Throws LedgerFileLostError when the file is gone or replaced; the first time, outside a
   * transaction (`canCopy`), after saving a copy of what it holds.
   */
  check(canCopy: boolean): void {
    if (this.lost) throw this.lost;
    if (this.same) return;
    const replaced = existsSync(this.path);
    const what = `ledger ${this.path} was ${replaced ? 'replaced by another file' : 'deleted'} while this process had it open`;
    if (!canCopy) throw new LedgerFileLostError(`${what}; nothing more is recorded`);
    const saved = this.save();
    this.lost = new LedgerFileLostError(
      `${what}: nothing more is recorded, and other cockpits no longer see what this one does. ${saved} Quit, and open the runbook again on the ledger you mean to use.`,
    );
    throw this.lost;
  }

  /** Why the ledger is lost (and where its copy is); undefined while it is not. */
  get reason(): string | undefined {
    return this.lost?.message;
  }

  /** At close: a loss not noticed yet still gets its copy. */
  saveIfLost(): void {
    try {
      if (!this.lost) this.check(true);
    } catch {
      /* said by the error, had anyone been left to read it; the copy is made */
    }
  }

  /**
   * A copy beside the path; in the temporary folder when that fails (the folder is gone too,
   * read-only, full). The name carries the time and this process's id: two cockpits that lose
   * one file at once each keep their own copy.
   */
  private save(): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const name = `${basename(this.path)}.rescued-${stamp}-${process.pid}`;
    const failures: string[] = [];
    for (const folder of new Set([dirname(this.path), tmpdir()])) {
      const to = join(folder, name);
      if (!existsSync(folder)) continue;
      try {
        this.rescue(to);
        return `What it held up to now is saved in ${to} (opscockpit ledger verify --ledger ${to}).`;
      } catch (err) {
        failures.push(`${to}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return `Its copy could not be saved (${failures.join('; ')}); what it held is lost when this process ends.`;
  }
}
