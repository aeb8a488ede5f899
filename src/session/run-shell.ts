// The run's one shell, owned by the session: started at the first shell block (the adapter
// loads then), closed with its process group at the shutdown. Each shell started is on record
// (`shell.started`); when it replaces another (a timeout, a cancel, a restarted cockpit) the
// record and the screen say that exports, cd and functions of earlier steps are gone.
import type { Runbook, ScriptCheck, ShellName } from '../runbook/model.js';
import type { CheckResult, EventBody } from '../engine/types.js';
import { flash, type CockpitStore } from '../store/store.js';
import type { ShellSession, ShellStart } from '../../adapters/shell-session.js';

export type ShellCheck = ScriptCheck & { shell: ShellName };
export const isShellCheck = (check: { kind: string; shell?: ShellName } | undefined): check is ShellCheck =>
  check?.kind === 'script' && check.shell !== undefined;

/** What runs a shell check: the session's RunShell, or a shell of its own for one block. */
export interface ShellHost {
  run(check: ShellCheck, signal?: AbortSignal): Promise<CheckResult>;
}

const adapter = () => import('../../adapters/shell-session.js');

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

  /** Kill the shell's process group (TERM, then KILL after the grace period); once. */
  close(): Promise<void> {
    this.closing ??= this.session?.close() ?? Promise.resolve();
    return this.closing;
  }

  private onStart(s: ShellStart): void {
    const first = this.started++ === 0;
    const why = s.replaces ?? (first && this.ranBefore() ? 'earlier steps of this run ran in another shell, before the cockpit restarted' : undefined);
    const note = why && `a fresh shell: ${why}; exports, cd and functions from earlier steps are gone`;
    void this.record({ kind: 'shell.started', shell: s.shell, pid: s.pid, ...(note ? { note } : {}) }, true);
    if (note) flash(this.store, `${note[0].toUpperCase()}${note.slice(1)}.`, 'warn');
  }

  /** A step of this run already ran a shell block: in another process, as this one has not started a shell yet. */
  private ranBefore(): boolean {
    return this.store.getState().stepEvents.some((e) => e.kind === 'step.result' && isShellCheck(this.runbook.checks[e.result.check]));
  }
}
