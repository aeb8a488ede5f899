// The form the cockpit shows before a run starts when a parameter has no value or a choice was
// not made: one field per parameter and one row per choice that the command line did not give.
// A pure reducer over key names (keyName in src/keys/keymap.ts), so it is tested without Ink.
import type { Runbook } from '../src/runbook/model.js';
import type { RunbookParam } from '../src/runbook/params.js';
import { valueProblem } from '../src/runbook/schema-params.js';
import { FORM_COMMANDS, formatKey, formCommand } from '../src/keys/keymap.js';

export interface FormField {
  kind: 'param' | 'choice';
  name: string;
  /** The parameter's description and type, or the choice's title. */
  label: string;
  /** Typed (string), typed and masked (secret), or picked from options (enum, bool, choice). */
  input: 'text' | 'secret' | 'pick';
  text: string;
  options: { value: string; label: string }[];
  index: number;
  /** Why the value cannot be used, shown under the field. */
  problem?: string;
  param?: RunbookParam;
}

export interface StartFormState {
  title: string;
  fields: FormField[];
  /** The field the keys go to. */
  at: number;
  outcome?: 'start' | 'quit';
}

/** Parameter values and chosen options, by name. */
export interface FormValues {
  params: Record<string, string>;
  choose: Record<string, string>;
}

/** The form's keys, for the hint line and the README. */
/** The form's hint line, from the keymap registry. */
export const FORM_HINTS = FORM_COMMANDS.filter((c) => c.hint).map((c) => ({ keys: c.keys.map(formatKey).join(' '), does: c.hint! }));

/** The fields for what `given` leaves open: parameters not given (defaults prefilled), choices not made. */
export function startForm(runbook: Pick<Runbook, 'name' | 'params' | 'choices'>, given: FormValues): StartFormState {
  const fields: FormField[] = [];
  for (const p of runbook.params) {
    // A value a step needs is asked when that step comes (the operator may learn it on the way).
    if (Object.hasOwn(given.params, p.name) || p.atStep) continue;
    const label = [p.description, typeLabel(p)].filter(Boolean).join(' · ');
    const base = { kind: 'param' as const, name: p.name, label, text: '', options: [], index: 0, param: p };
    if (p.type === 'enum' && p.values) {
      const options = p.values.map((v) => ({ value: v, label: v }));
      fields.push({ ...base, input: 'pick', options, index: Math.max(0, p.values.indexOf(p.value ?? '')) });
    } else if (p.type === 'bool') {
      fields.push({ ...base, input: 'pick', options: [{ value: 'true', label: 'yes' }, { value: 'false', label: 'no' }], index: p.value === 'true' ? 0 : 1 });
    } else {
      fields.push({ ...base, input: p.type === 'secret' ? 'secret' : 'text', text: p.value ?? '' });
    }
  }
  for (const c of runbook.choices) {
    if (Object.hasOwn(given.choose, c.name) || c.given) continue;
    const options = c.options.map((o) => ({ value: o.name, label: o.title }));
    fields.push({ kind: 'choice', name: c.name, label: c.title, input: 'pick', text: '', options, index: Math.max(0, c.options.findIndex((o) => o.name === c.chosen)) });
  }
  return { title: runbook.name, fields, at: 0 };
}

function typeLabel(p: RunbookParam): string {
  if (p.type === 'secret') return 'secret';
  if (p.integer !== undefined) return p.pattern ? `an integer matching ${p.pattern}` : 'an integer';
  if (p.pattern) return `matches ${p.pattern}`;
  return p.type === 'string' ? '' : p.type === 'bool' ? 'yes or no' : p.type;
}

/** The form after one key (a name from keyName: enter, escape, up, …, or typed text). */
export function formReducer(state: StartFormState, key: string): StartFormState {
  if (state.outcome) return state;
  const field = state.fields[state.at];
  const typing = field?.input === 'text' || field?.input === 'secret';
  const command = key === 'q' && typing ? undefined : formCommand(key)?.id;
  if (command === 'form.quit' || key === 'ctrl+c') return { ...state, outcome: 'quit' };
  if (!field) return command === 'form.submit' ? { ...state, outcome: 'start' } : state;
  const last = state.fields.length - 1;
  switch (command) {
    case 'form.prev':
      return { ...state, at: Math.max(0, state.at - 1) };
    case 'form.next':
      return { ...state, at: Math.min(last, state.at + 1) };
    case 'form.change':
      if (field.input !== 'pick') return state;
      return withField(state, { ...field, index: (field.index + (key === 'right' ? 1 : field.options.length - 1)) % field.options.length, problem: undefined });
    case 'form.submit':
      return submit(state);
  }
  if (key === 'backspace') return typing ? withField(state, { ...field, text: [...field.text].slice(0, -1).join(''), problem: undefined }) : state;
  if (key.startsWith('ctrl+')) return state;
  // Keys typed fast or pasted come as one chunk: each character is a key of its own.
  if ([...key].length > 1) return [...key].reduce(formReducer, state);
  if (key === '\r' || key === '\n') return submit(state);
  if (key === '\x7f' || key === '\b') return formReducer(state, 'backspace');
  if (!typing || /\p{Cc}/u.test(key)) return state;
  return withField(state, { ...field, text: field.text + key, problem: undefined });
}

/** Enter: the next field when this one is good; on the last, start when every field is. */
function submit(state: StartFormState): StartFormState {
  const field = state.fields[state.at];
  const problem = fieldProblem(field);
  if (problem) return withField(state, { ...field, problem });
  if (state.at < state.fields.length - 1) return { ...state, at: state.at + 1 };
  const bad = state.fields.findIndex((f) => fieldProblem(f));
  if (bad === -1) return { ...state, outcome: 'start' };
  const fields = state.fields.map((f, i) => (i === bad ? { ...f, problem: fieldProblem(f) } : f));
  return { ...state, fields, at: bad };
}

/** Why a field's value cannot be used (the runbook's own check: valueProblem), or undefined. */
export function fieldProblem(f: FormField): string | undefined {
  if (!f.param) return undefined;
  const value = fieldValue(f);
  if (value === '' && f.param.default === undefined) return 'needs a value';
  return valueProblem(f.param, value);
}

export function fieldValue(f: FormField): string {
  return f.input === 'pick' ? f.options[f.index].value : f.text;
}

/** What the person gave: each field's value by name. */
export function formValues(state: StartFormState): FormValues {
  const out: FormValues = { params: {}, choose: {} };
  for (const f of state.fields) (f.kind === 'param' ? out.params : out.choose)[f.name] = fieldValue(f);
  return out;
}

function withField(state: StartFormState, field: FormField): StartFormState {
  return { ...state, fields: state.fields.map((f, i) => (i === state.at ? field : f)) };
}
