// The form before a run starts, as a pure reducer over key names: a field per parameter the
// command line did not give (defaults prefilled), a row per choice not made; Enter checks the
// field with the runbook's own rule (valueProblem) and moves on, Esc or q quits.
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../src/runbook/load.js';
import { fieldValue, formReducer, formValues, startForm, type StartFormState } from '../screens/start-form.js';

const RUNBOOK = [
  'version: 1',
  'name: Rotate',
  'params:',
  '  ticket: { description: Change ticket, pattern: "CHG-[0-9]+" }',
  '  region: { type: enum, values: [eu, us, ap], default: us }',
  '  dry: { type: bool, default: false }',
  '  token: { type: secret }',
  '  note: { default: "" }',
  'choices:',
  '  - { name: platform, title: Platform, options: [{ name: linux, title: Linux, steps: [a] }, { name: macos, title: macOS, steps: [b] }] }',
  'checklists: { preflight: [{ id: a, manual: true }, { id: b, manual: true }] }',
  '',
].join('\n');

const load = (params: Record<string, string> = {}, choose: Record<string, string> = {}) => parseRunbook(RUNBOOK, '/tmp/rotate.yaml', {}, params, choose);
const keys = (state: StartFormState, ...names: string[]) => names.reduce(formReducer, state);
const current = (s: StartFormState) => s.fields[s.at];

describe('the start form', () => {
  it('has a field for each parameter not given, defaults prefilled, and a row for each choice not made', () => {
    const s = startForm(load({ ticket: 'CHG-1' }), { params: { ticket: 'CHG-1' }, choose: {} });
    expect(s.title).toBe('Rotate');
    expect(s.fields.map((f) => [f.kind, f.name, f.input, fieldValue(f)])).toEqual([
      ['param', 'region', 'pick', 'us'],
      ['param', 'dry', 'pick', 'false'],
      ['param', 'token', 'secret', ''],
      ['param', 'note', 'text', ''],
      ['choice', 'platform', 'pick', 'linux'],
    ]);
    expect(s.fields[1].options.map((o) => o.label)).toEqual(['yes', 'no']);
    expect(s.fields[4].options.map((o) => o.label)).toEqual(['Linux', 'macOS']);
    // Nothing asked for what the command line gave.
    expect(startForm(load({}, { platform: 'macos' }), { params: {}, choose: { platform: 'macos' } }).fields.map((f) => f.name)).not.toContain('platform');
  });

  it('types text, erases it, and refuses a value the runbook refuses, with the reason, until it is right', () => {
    let s = startForm(load(), { params: {}, choose: {} });
    expect(current(s).name).toBe('ticket');
    s = keys(s, 'enter');
    expect(current(s)).toMatchObject({ name: 'ticket', problem: 'needs a value' });
    s = keys(s, 'c', 'h', 'g', '-', '1', 'enter');
    expect(current(s)).toMatchObject({ name: 'ticket', text: 'chg-1', problem: '"chg-1" does not match CHG-[0-9]+' });
    // A chunk of fast keys: five erases, then the right value and Enter.
    s = keys(s, '\x7f\x7f\x7f\x7f\x7f', 'CHG-12\r');
    expect(s.fields[0]).toMatchObject({ text: 'CHG-12', problem: undefined });
    expect(current(s).name).toBe('region');
  });

  it('cycles enum, bool and choice options with the arrow keys, both ways round', () => {
    let s = keys(startForm(load(), { params: {}, choose: {} }), 'down');
    expect(fieldValue(current(s))).toBe('us');
    s = keys(s, 'right');
    expect(fieldValue(current(s))).toBe('ap');
    s = keys(s, 'right');
    expect(fieldValue(current(s))).toBe('eu');
    s = keys(s, 'left');
    expect(fieldValue(current(s))).toBe('ap');
    s = keys(s, 'left');
    expect(fieldValue(current(s))).toBe('us');
    s = keys(s, 'tab', 'left');
    expect(fieldValue(current(s))).toBe('true');
    s = keys(s, 'down', 'down', 'down', 'right');
    expect(current(s).name).toBe('platform');
    expect(fieldValue(current(s))).toBe('macos');
    // Arrows do not type into a text field, and up goes back.
    s = keys(s, 'up', 'right', 'x');
    expect(current(s)).toMatchObject({ name: 'note', text: 'x' });
  });

  it('starts on Enter at the last row only when every field is good, else goes to the bad one', () => {
    let s = startForm(load(), { params: {}, choose: {} });
    s = keys(s, 'CHG-7', 'down', 'down', 'down', 'down', 'down', 'enter');
    expect(s.outcome).toBeUndefined();
    expect(current(s)).toMatchObject({ name: 'token', problem: 'needs a value' });
    s = keys(s, 's3cret', 'enter', 'enter', 'right', 'enter');
    expect(s.outcome).toBe('start');
    expect(formValues(s)).toEqual({ params: { ticket: 'CHG-7', region: 'us', dry: 'false', token: 's3cret', note: '' }, choose: { platform: 'macos' } });
    // Once answered, keys change nothing.
    expect(keys(s, 'escape')).toBe(s);
  });

  it('Esc quits anywhere; q quits on a row with options, and is typed in a text field', () => {
    const s = startForm(load(), { params: {}, choose: {} });
    expect(keys(s, 'escape').outcome).toBe('quit');
    expect(keys(s, 'q').outcome).toBeUndefined();
    expect(current(keys(s, 'q'))).toMatchObject({ text: 'q' });
    expect(keys(s, 'down', 'q').outcome).toBe('quit');
    expect(keys(s, 'ctrl+c').outcome).toBe('quit');
  });
});
