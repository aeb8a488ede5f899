import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { STEP_GLYPH, failureLine, progressBar, truncate } from './presentation.js';
import { color, stepColor } from './theme.js';

/** Shows a window of steps around the current one, so long checklists keep a small tree. */
export function ChecklistPanel(props: { width: number; rows: number }) {
  const { view, complete, runStatus } = useCockpit((s) => ({
    view: s.checklist.phases[s.checklist.active],
    complete: s.checklist.complete,
    runStatus: s.run?.status,
  }));
  const closed = runStatus !== undefined && runStatus !== 'running' && !complete;
  const cur = view.current ?? view.steps.length - 1;
  const start = Math.max(0, Math.min(cur - 1, view.steps.length - props.rows));
  const steps = view.steps.slice(start, start + props.rows);
  return (
    <Panel title="Checklist" right={`${view.phase} ${view.done}/${view.total}`} width={props.width}>
      <Text>
        <Text color={color('green')}>{progressBar(view.done, view.total, 20)}</Text>
        {complete ? <Text color={color('green')}> all phases complete</Text> : closed ? <Text color={color('yellow')}> run {runStatus.replace('_', ' ')}: quit and reopen for a new run</Text> : view.blocked ? <Text color={color('red')}> blocked: retry (r) or skip (s)</Text> : null}
      </Text>
      {steps.map((st, i) => {
        const isCurrent = start + i === view.current && !closed;
        const detail = st.state === 'skipped' ? st.skipReason : st.result && st.state !== 'running' ? st.result.reason : st.kind === 'manual' && isCurrent ? 'press Enter to confirm' : st.kind === 'auto' && isCurrent && st.state === 'pending' ? 'press Enter to run' : undefined;
        return (
          <Box key={st.id} flexDirection="column">
            <Text wrap="truncate" inverse={isCurrent}>
              {isCurrent ? '›' : ' '} <Text color={stepColor(st.state)}>{STEP_GLYPH[st.state]}</Text> {truncate(st.title, props.width - 24)}
              <Text dimColor> {st.confirm ? 'script, runs on Enter' : st.kind}{st.blocking ? '' : ', optional'}</Text>
            </Text>
            {detail && (isCurrent || st.state === 'failed') ? (
              <Text wrap="truncate" color={stepColor(st.state)}>
                {'     '}{truncate(detail, props.width - 10)}
              </Text>
            ) : null}
            {st.state === 'failed' && st.result?.failure ? (
              <Text wrap="truncate" color={color('yellow')}>
                {'     '}{truncate(failureLine(st.result.failure), props.width - 10)}
              </Text>
            ) : null}
          </Box>
        );
      })}
    </Panel>
  );
}
