import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { color } from './theme.js';
import { CanaryPrompt } from './CanaryPrompt.js';
import { fitLines, scriptLines } from './step-command.js';

/** Rows of an action's commands the confirmation shows at most. */
const COMMAND_ROWS = 12;

export function Dialog(props: { width: number }) {
  const { modal, actions, params, step, unknown } = useCockpit((s) => {
    const view = s.checklist.phases[s.checklist.active];
    return { modal: s.modal, actions: s.runbook.actions, params: s.runbook.params, step: view.current === undefined ? undefined : view.steps[view.current].title, unknown: s.outcomes.unknown };
  });
  if (!modal || modal.kind === 'help' || modal.kind === 'review') return null;
  if (modal.kind === 'canary') return <CanaryPrompt width={props.width} />;
  if (modal.kind === 'quit') {
    return (
      <Panel title="Quit?" width={props.width} borderColor={color('yellow')}>
        <Text>An action or check is still running. Quitting stops it: its processes get TERM, then KILL if they linger; the cancellation and the outcome are recorded.</Text>
        <Text>Enter stops it and quits · Esc goes back</Text>
      </Panel>
    );
  }
  if (modal.kind === 'confirm') {
    const action = actions[modal.action];
    // What the typed confirmation runs, as the current step shows its block before Enter.
    const lines = modal.step ? [] : fitLines(scriptLines(action?.script), COMMAND_ROWS, props.width - 6);
    return (
      <Panel title={`Confirm: ${modal.step?.title ?? action?.title ?? modal.action}`} width={props.width} borderColor={color('red')}>
        <Text>
          {modal.step?.unknown || (!modal.step && unknown.includes(modal.action))
            ? `${modal.step ? 'Its' : 'Its last'} outcome is unknown: it may still have run or be running; check by hand before running it again. `
            : modal.step
              ? 'This block looks destructive. '
              : ''}
          Type <Text bold>{modal.step?.id ?? action?.confirm ?? modal.action}</Text> and press Enter to run it. Esc cancels.
        </Text>
        {lines.length > 0 ? <Text dimColor>It runs:</Text> : null}
        {lines.map((l, i) => (
          <Text key={i} wrap="wrap">
            {'  '}
            {l}
          </Text>
        ))}
        <InputLine input={modal.input} />
        {modal.error ? <Text color={color('red')}>{modal.error}</Text> : null}
      </Panel>
    );
  }
  if (modal.kind === 'value') {
    // A credential's value is never on the screen, not even while it is typed.
    const secret = params.some((p) => p.name === modal.name && p.type === 'secret');
    return (
      <Panel title={`${modal.name}: a value for "${modal.step.title}"`} width={props.width} borderColor={color('yellow')}>
        <Text>
          {modal.action ? 'The action' : "The step's command"} needs <Text bold>{modal.name}</Text>.{' '}
          {secret ? 'A secret: masked on screen, in the ledger and in output; used from now on.' : 'It is recorded with the run and used from now on.'}
        </Text>
        <InputLine input={secret ? '•'.repeat(modal.input.length) : modal.input} />
        {modal.error ? <Text color={color('red')}>{modal.error}</Text> : <Text dimColor>Enter records it · Esc cancels</Text>}
      </Panel>
    );
  }
  const title = modal.kind === 'skip' ? `Skip "${step ?? ''}": why?` : modal.kind === 'stop-off' ? 'Turn the emergency stop off: why is it safe now?' : modal.kind === 'takeover' ? 'Take over driving this run: why?' : modal.kind === 'unlock' ? 'Unlock the runbook after its rollback: why may it go forward again?' : `Note on "${step ?? ''}"`;
  return (
    <Panel title={title} width={props.width} borderColor={color('yellow')}>
      <InputLine input={modal.input} />
      {'error' in modal && modal.error ? <Text color={color('red')}>{modal.error}</Text> : <Text dimColor>Enter saves to the ledger · Esc cancels</Text>}
    </Panel>
  );
}

/** What the operator has typed so far, and the cursor. */
function InputLine({ input }: { input: string }) {
  return (
    <Text>
      {'> '}
      {input}
      <Text inverse> </Text>
    </Text>
  );
}
