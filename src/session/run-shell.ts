// The run's one shell, owned by the session: started at the first shell block (the adapter
// loads then), closed with its process group at the shutdown. Each shell started is on record
// (`shell.started`) while this cockpit drives the run (RunRecorder.tryOwn); when it replaces another (a timeout, a cancel, a restarted cockpit) the
// record and the screen say that exports, cd and functions of earlier steps are gone.
import type { Runbook, ScriptCheck, ShellName } from '../runbook/model.js';
import type { CheckResult, EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import { loadOnce } from './load-once.js';
import type { ShellSession, ShellStart } from '../../adapters/shell-session.js';

export type ShellCheck = ScriptCheck & { shell: ShellName };
export const isShellCheck = (check: { kind: string; shell?: ShellName } | undefined): check is ShellCheck =>
  check?.kind === 'script' && check.shell !== undefined;

const adapter = loadOnce(() => import('../../adapters/shell-session.js'));

/** What runs a shell check: the session's RunShell, or a shell of its own for one block. */
export interface ShellHost {
  run(check: ShellCheck, signal?: AbortSignal): Promise<CheckResult>;
}

/** A shell of its own for each block, with the same stop-on-error: where blocks run without the run's shell. */
export function oneBlockShell(runbook: Runbook, env: NodeJS.ProcessEnv): ShellHost {
  return {
    async run(check, signal) {
      const session = new (await adapter()).ShellSession({ env, secrets: runbook.secrets });
      try {
        return await session.run(check, { signal });
      } finally {
        await session.close();
      }
    },
  };
}

/** Said of an action's script that cannot run in the run's shell. */
export const FRESH_ACTION_SHELL = "in a fresh shell: the run's shell is not alive here (no block ran in this process, or it restarted), so exports, cd and functions of earlier steps are not there";

/** An action's script in a shell of its own, for one run, said first in its output. */
export async function runInFreshShell(check: ShellCheck, env: NodeJS.ProcessEnv, secrets: readonly string[], onOutput: (s: string) => void, signal?: AbortSignal): Promise<CheckResult> {
  const session = new (await adapter()).ShellSession({ env, secrets });
  onOutput(`[opscockpit: ${FRESH_ACTION_SHELL}]\n`);
  try {
    const r = await session.run(check, { signal, onOutput });
    return { ...r, reason: `${r.reason} (${FRESH_ACTION_SHELL})` };
  } finally {
    await session.close();
  }
}

export class RunShell implements ShellHost {
  private session?: ShellSession;
  private closing?: Promise<void>;
  private started = 0;

  constructor(
    private readonly runbook: Runbook,
    private readonly env: NodeJS.ProcessEnv,
    private readonly store: CockpitStore,
    private readonly record: (body: EventBody, durable?: boolean) => Promise<boolean>,
  ) {}

  async run(check: ShellCheck, signal?: AbortSignal): Promise<CheckResult> {
    const { ShellSession } = await adapter();
    if (this.closing) return { check: check.name, startedAt: Date.now(), durationMs: 0, status: 'error', code: 'signal', reason: "the run's shell is closed" };
    this.session ??= new ShellSession({ env: this.env, secrets: this.runbook.secrets, onStart: (s) => this.onStart(s) });
    return this.session.run(check, { signal });
  }

  /** An action's script (a Markdown rollback): in the run's shell when it is alive, as a person would run it. */
  async runAction(check: ShellCheck, onOutput: (s: string) => void, signal?: AbortSignal): Promise<CheckResult> {
    if (!this.closing && this.session?.alive(check.shell)) return this.session.run(check, { signal, onOutput });
    return runInFreshShell(check, this.env, this.runbook.secrets, onOutput, signal);
  }

  /** Kill the shell's process group (TERM, then KILL after the grace period); once. */
  close(): Promise<void> {
    this.closing ??= this.session?.close() ?? Promise.resolve();
    return this.closing;
  }

  private onStart(s: ShellStart): void {
    const first = this.started++ === 0;
    const why = s.replaces ?? (first && this.ranBefore() ? this.elsewhere() : undefined);
    const note = why && `a fresh shell: ${why}; exports, cd and functions from earlier steps are gone`;
    void this.record({ kind: 'shell.started', shell: s.shell, pid: s.pid, ...(note ? { note } : {}) }, true);
    if (note) flash(this.store, `${note[0].toUpperCase()}${note.slice(1)}.`, 'warn');
  }

  /** Where the earlier blocks ran: the cockpit this one took the run over from, or the one before a restart. */
  private elsewhere(): string {
    const took = this.store.getState().tookOverFrom;
    if (!took) return 'earlier steps of this run ran in another shell, before the cockpit restarted';
    return `earlier steps of this run ran in ${took.from ? `${took.from}'s` : 'another'} cockpit's shell, before this cockpit took the run over`;
  }

  /** A step of this run already ran a shell block: in another process, as this one has not started a shell yet. */
  private ranBefore(): boolean {
    return this.store.getState().stepEvents.some((e) => e.kind === 'step.result' && ranInShell(this.runbook.checks[e.result.check]));
  }
}

/** A block that ran in the run's shell (a read-only check runs in one of its own). */
const ranInShell = (check: Parameters<typeof isShellCheck>[0]): boolean => isShellCheck(check) && !check.readOnly;
