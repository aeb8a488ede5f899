// The exact commands of the current step, as the detail pane shows them before Enter: every
// line of the block, with values that look like credentials masked.
import type { Check } from '../src/runbook/model.js';
import { currentStep, type StepView } from '../src/engine/checklist.js';
import type { RunbookParam } from '../src/runbook/params.js';
import type { CockpitState } from '../src/store/store.js';
import { FRESH_SHELL_AHEAD } from '../src/store/project.js';
import { lineWithValues } from '../src/runbook/markdown/placeholders.js';
import { hourMinute } from '../src/engine/driver.js';

/** `password=…`, `--token …`, `Authorization: Bearer …`, `-p…` on mysql-like commands. */
const CREDENTIAL = /((?:pass(?:word)?|passwd|secret|token|api[-_]?key|access[-_]?key)\s*[=:]\s*|--(?:password|token|secret|api-key)[= ]|Authorization:\s*(?:Bearer|Basic|Token)\s+)(["']?)([^\s"'$][^\s"']*)\2/gi;

/** Inside a parameter expansion's name (`${API_TOKEN:0:8}`): a variable, not a credential. */
const IN_EXPANSION = /\$\{[A-Za-z_0-9]*$/;

export function maskCredentials(line: string): string {
  return line.replace(CREDENTIAL, (all: string, lead: string, q: string, _value: string, at: number) => (IN_EXPANSION.test(line.slice(0, at)) ? all : `${lead}${q}••••${q}`));
}

/** The lines a script check runs (`bash -c BLOCK`: the block's lines), masked; [] otherwise. */
export function commandLines(check: Check | undefined): string[] {
  return check?.kind === 'script' ? scriptLines(check) : [];
}

/** The lines a script runs (an action's too), masked; [] without one. */
export function scriptLines(script: { command: string; args: readonly string[] } | undefined): string[] {
  if (!script) return [];
  const block = script.command === 'bash' && script.args[0] === '-c' && script.args.length === 2 ? script.args[1] : [script.command, ...script.args].join(' ');
  return block.split('\n').map(maskCredentials);
}

/** As many lines as fit in `rows` rows of `width` once wrapped; the last says how many are left. */
export function fitLines(lines: string[], rows: number, width: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const height = Math.max(1, Math.ceil(lines[i].length / Math.max(10, width)));
    const left = lines.length - i;
    if (used + height > rows || (left > 1 && used + height === rows)) {
      if (used < rows) out.push(`… ${left} more line${left === 1 ? '' : 's'}`);
      else if (out.length > 0) out[out.length - 1] = `… ${left + 1} more lines`;
      return out;
    }
    out.push(lines[i]);
    used += height;
  }
  return out;
}

/** The current step's block is cut in the Checklist (`… N more lines`): Enter reads it first. */
export function blockCut(all: readonly string[], rows: number, width: number): boolean {
  const shown = fitLines([...all], rows - 1, width - 9);
  return shown.length > 0 && shown[shown.length - 1].startsWith('… ') && shown.length <= all.length;
}

/**
 * What the Checklist shows of the current step before Enter: its block's lines, after a
 * restart with the fresh-shell warning first; nothing when no block waits for Enter. The
 * Checklist draws these and the keys decide from them whether the block was cut.
 */
export function shownBlock(step: StepView | undefined, checks: Readonly<Record<string, Check>>, freshShell: boolean | undefined, params: readonly RunbookParam[] = [], width = Infinity): string[] {
  if (!step?.confirm || step.state !== 'pending') return [];
  const check = step.check ? checks[step.check] : undefined;
  const all = withValues(commandLines(check), params);
  const fresh = all.length > 0 && freshShell && check?.kind === 'script' && !(check as { readOnly?: boolean }).readOnly;
  // A title the step's row cuts is read in full here, wrapped, before the lines that run.
  const title = [...step.title].length > width - TITLE_ROOM ? [`title: ${step.title}`] : [];
  return [...title, ...(fresh ? [`⚠ ${FRESH_SHELL_AHEAD}`] : []), ...all];
}

/** What a step's row in the Checklist keeps beside its title (marks, kind): the title gets the rest. */
export const TITLE_ROOM = 24;

/**
 * The lines as they will run: a parameter that has a value shows it (a secret one its name), a
 * `<NAME>`'s value as the one shell word it is (lineWithValues); a value still to be given
 * stays as written.
 */
export function withValues(lines: readonly string[], params: readonly RunbookParam[]): string[] {
  // A secret's reference stays as written ($API_TOKEN): the line shown is the line that runs,
  // and the value is never on screen.
  const known = new Map(params.filter((p) => p.value !== undefined && p.type !== 'secret').map((p) => [p.name, p.value as string]));
  if (known.size === 0) return [...lines];
  return lines.map((l) => lineWithValues(l, known));
}

/** The step Enter acts on, while the run goes on (a closed run has none): the Checklist and the keys read it here. */
export function currentStepOf(s: CockpitState): StepView | undefined {
  const closed = s.run !== undefined && s.run.status !== 'running' && !s.checklist.complete;
  return closed ? undefined : currentStep(s.checklist);
}

/**
 * The current step's block runs in another cockpit (the driver's, watched from here, or the
 * former driver's after a take-over): who runs it and since when. Its outcome comes from there.
 */
export function runningElsewhere(s: CockpitState): string | undefined {
  const st = currentStepOf(s);
  if (st?.state !== 'running' || (st.check !== undefined && s.running.includes(st.check))) return undefined;
  const started = [...s.events].reverse().find((e) => e.body.kind === 'step.started' && e.body.phase === st.phase && e.body.step === st.id);
  return started ? `running in ${started.operator}'s cockpit since ${hourMinute(started.at)}` : 'running in another cockpit';
}

/**
 * The line under a step: why it was skipped, where it runs, its result; under the current step,
 * what Enter does, or for an observer (Enter does nothing there) who drives and what it can do.
 */
export function stepDetail(st: StepView, isCurrent: boolean, at: { elsewhere?: string; cut?: boolean; observer?: string }): string | undefined {
  if (st.state === 'skipped') return st.skipReason;
  if (at.elsewhere && isCurrent) return at.elsewhere;
  if (st.result && st.state !== 'running') return st.result.reason;
  if (!isCurrent) return undefined;
  if (at.observer !== undefined) return st.state === 'pending' ? at.observer : undefined;
  if (st.kind === 'manual') return 'press Enter to confirm';
  if (at.cut) return `longer than shown: Enter shows all of it before it runs${st.typed ? ' (then type its id)' : ''}`;
  if (st.typed && st.state === 'pending') return `destructive: Enter, then type ${st.id}`;
  return st.kind === 'auto' && st.state === 'pending' ? 'press Enter to run' : undefined;
}
