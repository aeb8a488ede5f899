import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { canaryTimeline, formatDuration, truncate } from './presentation.js';
import { color } from './theme.js';
import type { CockpitState } from '../src/store/store.js';

const STATUS_COLOR: Record<string, string> = { running: 'cyan', 'awaiting-decision': 'yellow', promoted: 'green', aborted: 'red', idle: 'gray' };

/** What comes next, as text: the clock counts down only while a window or a decision is open. */
function nextText(s: CockpitState): string {
  const { canary, canaryNextAt: nextAt, now } = s;
  const spec = s.runbook.canary;
  if (!spec || !canary) return '';
  if (canary.status === 'running' && nextAt !== undefined) return `next window closes in ${formatDuration(Math.max(0, nextAt - now))}`;
  if (canary.status === 'awaiting-decision') return `decision due in ${formatDuration(Math.max(0, (canary.deadline ?? now) - now))} (default ${spec.defaultDecision})`;
  return canary.status === 'idle' ? 'press c to start' : (canary.reason ?? '');
}

/** Window by window: a glyph per verdict for each step, the streak toward promotion, the next decision. */
export function CanaryPanel(props: { width: number }) {
  const { spec, canary, next } = useCockpit((s) => ({ spec: s.runbook.canary, canary: s.canary, next: nextText(s) }));
  if (!spec || !canary) {
    return (
      <Panel title="Canary" width={props.width}>
        <Text dimColor>no canary configured in this runbook</Text>
      </Panel>
    );
  }
  const step = spec.steps[Math.min(canary.stepIndex, spec.steps.length - 1)];
  const lines = canaryTimeline(spec.steps, canary.windows, Math.max(4, props.width - 18));
  return (
    <Panel title="Canary" right={`${step.name}${step.weight !== undefined ? ` · weight ${step.weight}%` : ''}`} width={props.width}>
      <Text>
        <Text bold color={color(STATUS_COLOR[canary.status])}>
          {canary.status.replace('-', ' ').toUpperCase()}
        </Text>
        {canary.status === 'running' ? ` · ${canary.consecutivePasses}/${spec.rules.consecutiveSuccesses} passes toward promotion` : ''}
      </Text>
      {lines.map((l) => (
        <Text key={l.step} wrap="truncate">
          {l.step.padEnd(8)} {l.glyphs || '·'}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {truncate(next, props.width - 4)}
      </Text>
      <Text dimColor wrap="truncate">
        ✔ pass ✘ fail ? inconclusive ! error ⚡ burst
      </Text>
    </Panel>
  );
}
