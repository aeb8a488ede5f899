import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { formatDuration } from './presentation.js';
import { color } from './theme.js';

/** Inconclusive canary: the operator decides, and the countdown says what happens if not. */
export function CanaryPrompt(props: { width: number }) {
  const { canary, now, spec } = useCockpit((s) => ({ canary: s.canary, now: s.now, spec: s.runbook.canary }));
  if (!canary || canary.status !== 'awaiting-decision' || !spec) return null;
  const left = Math.max(0, (canary.deadline ?? now) - now);
  return (
    <Panel title="Canary inconclusive — decide" width={props.width} borderColor={color('yellow')}>
      <Text wrap="wrap">{canary.reason}</Text>
      <Text>
        <Text bold>c</Text> continue the analysis · <Text bold>x</Text> abort now ({spec.abortAction}) · Esc hides this prompt
      </Text>
      <Text bold color={color(spec.defaultDecision === 'abort' ? 'red' : 'yellow')}>
        Default in {formatDuration(left)}: {spec.defaultDecision}
      </Text>
    </Panel>
  );
}
