// Values a step's command needs that the runbook never declared (`<POD_NAME>`, an unset
// `$VAR`): the operator gives them when the step comes, often from what an earlier step
// showed. A value given is the run's from then on: in the environment the run's scripts and
// shell read, recorded with the run's other parameters, and shown in the header.
import type { EventBody } from '../engine/types.js';
import type { Phase, Runbook } from '../runbook/model.js';
import { commandValueProblem, recordedParams, withRecordedValues, type RunbookParam } from '../runbook/params.js';
import { MASK } from '../runbook/secrets.js';
import { valueProblem } from '../runbook/schema-params.js';
import type { CockpitStore } from '../store/store.js';
import type { Redactor } from '../runbook/secrets.js';
import { ownValue, setOwn } from '../own.js';

const MAX_VALUE = 4096;

export class StepValues {
  constructor(
    private readonly store: CockpitStore,
    /** The session's environment: what the run's scripts and its shell read. */
    private readonly env: NodeJS.ProcessEnv,
    private readonly record: (body: EventBody, durable?: boolean) => Promise<boolean>,
    /** The session's masking: a secret value given here is masked in all that follows. */
    private readonly redactor?: Pick<Redactor, 'add'>,
  ) {}

  private get runbook(): Runbook {
    return this.store.getState().runbook;
  }

  /** The values the step still needs, in the order its command uses them. */
  missing(phase: Phase, id: string): string[] {
    const step = this.runbook.checklists[phase].find((s) => s.id === id);
    return (step?.placeholders ?? []).filter((name) => !ownValue(this.env, name));
  }

  /** The values an action's script still needs (a Markdown rollback's `<REVISION>`). */
  missingForAction(name: string): string[] {
    return (this.runbook.actions[name]?.placeholders ?? []).filter((n) => !ownValue(this.env, n));
  }

  /**
   * Before this cockpit drives a run another drove (its T): the values the run recorded since
   * this cockpit opened are its own, so it walks what the ledger holds. A value given at a step
   * is taken; a declared parameter the run now has otherwise (its driver resumed it with another
   * value) is not: the runbook was loaded with this cockpit's, so it says why it may not drive.
   */
  adopt(recorded: Readonly<Record<string, string>>): string | undefined {
    const params = this.runbook.params;
    const differ = Object.entries(recorded).filter(([name, v]) => v !== MASK && params.some((p) => p.name === name && !p.atStep) && ownValue(this.env, name) !== v);
    if (differ.length > 0) {
      const was = differ.map(([name, v]) => `${name}=${v} (this cockpit opened with ${name}=${ownValue(this.env, name) ?? 'none'})`).join(', ');
      return `The run now goes on with ${was}: quit and open the runbook again to drive it with the run's values.`;
    }
    for (const [name, v] of Object.entries(recorded)) if (v !== MASK) setOwn(this.env, name, v);
    this.store.setState({ runbook: { ...this.runbook, params: withRecordedValues(params, recorded) } });
    return undefined;
  }

  /** Give a value; why it cannot be taken, or undefined once it is recorded. */
  async give(name: string, value: string): Promise<string | undefined> {
    if (value.trim() === '') return `${name} needs a value.`;
    const spaced = commandValueProblem(value);
    if (spaced) return `${name}: ${spaced}.`;
    if (/[\u0000-\u001f\u007f]/.test(value)) return `${name}: a value is one line of text, without control characters.`;
    if (value.length > MAX_VALUE) return `${name}: at most ${MAX_VALUE} characters.`;
    const runbook = this.runbook;
    const declared = runbook.params.find((p) => p.name === name);
    const known = declared !== undefined;
    // Its pattern, and an integer where the runbook uses it in arithmetic.
    const bad = declared && valueProblem(declared, value);
    if (bad) return `${name}: ${bad}.`;
    const params: RunbookParam[] = known
      ? runbook.params.map((p) => (p.name === name ? { ...p, value } : p))
      : [...runbook.params, { name, type: 'string', value, atStep: name }];
    // Masked before it is recorded or used (a credential's name makes it a secret parameter).
    if (params.find((p) => p.name === name)?.type === 'secret') this.redactor?.add(value);
    // Recorded before it is used: no step runs with a value the ledger does not hold.
    if (!(await this.record({ kind: 'run.params', params: recordedParams(params) }, true))) return `${name} was not recorded; nothing runs with it.`;
    setOwn(this.env, name, value);
    this.store.setState({ runbook: { ...runbook, params } });
    return undefined;
  }
}
