import React from 'react';
import { Box, Text } from './ink.js';
import { useCockpit } from './context.js';
import { UNKNOWN_OUTCOME } from '../src/engine/checklist.js';
import { Panel } from './Panel.js';
import { STEP_GLYPH, failureLine, progressBar, truncate } from './presentation.js';
import { color, stepColor } from './theme.js';
import { TITLE_ROOM, blockCut, currentStepOf, fitLines, runningElsewhere, shownBlock, stepDetail } from './step-command.js';

/** Shows a window of steps around the current one, so long checklists keep a small tree. */
export function ChecklistPanel(props: { width: number; rows: number }) {
  const { view, complete, runStatus, checks, empty, freshShell, params, current, elsewhere, observer } = useCockpit((s) => ({
    freshShell: s.freshShell,
    params: s.runbook.params,
    current: currentStepOf(s),
    elsewhere: runningElsewhere(s),
    observer: s.seat?.role === 'observer' ? s.seat.hint : undefined,
    view: s.checklist.phases[s.checklist.active],
    complete: s.checklist.complete,
    runStatus: s.run?.status,
    checks: s.runbook.checks,
    empty: Object.values(s.checklist.phases).every((p) => p.steps.length === 0),
  }));
  const closed = runStatus !== undefined && runStatus !== 'running' && !complete;
  const cur = view.current ?? view.steps.length - 1;
  // The current script's exact lines, before Enter runs them; the step window makes room.
  // The block takes the rows of the other steps, never more: the header stays on screen.
  const all = shownBlock(current, checks, freshShell, params, props.width);
  const lines = fitLines(all, props.rows - 1, props.width - 9);
  // Cut: Enter shows the whole block, page by page, before it may run (ReviewBlock).
  const cut = blockCut(all, props.rows, props.width);
  const rows = lines.length > 0 ? 1 : props.rows;
  const start = lines.length > 0 ? cur : Math.max(0, Math.min(cur - 1, view.steps.length - rows));
  const steps = view.steps.slice(start, start + rows);
  if (empty) {
    return (
      <Panel title="Checklist" right="no steps" width={props.width}>
        <Text color={color('yellow')}>this runbook has no steps: nothing to walk, and the Gate is never GO</Text>
      </Panel>
    );
  }
  return (
    <Panel title="Checklist" right={`${view.phase} ${view.done}/${view.total}`} width={props.width}>
      <Text>
        <Text color={color('green')}>{progressBar(view.done, view.total, 20)}</Text>
        {complete ? <Text color={color('green')}> all phases complete</Text> : closed ? <Text color={color('yellow')}> run {runStatus.replace('_', ' ')}: quit and reopen for a new run</Text> : view.blocked ? <Text color={color('red')}> blocked: retry (r) or skip (s)</Text> : null}
      </Text>
      {steps.map((st, i) => {
        const isCurrent = start + i === view.current && !closed;
        // An observer cannot run it again: its line says who drives, as any step's does.
        const unknown = st.unknown && isCurrent && st.state === 'pending' && !elsewhere && observer === undefined;
        const detail = stepDetail(st, isCurrent, { elsewhere, cut, observer });
        return (
          <Box key={st.id} flexDirection="column">
            <Text wrap="truncate" inverse={isCurrent}>
              {isCurrent ? '›' : ' '} <Text color={stepColor(st.state)}>{STEP_GLYPH[st.state]}</Text> {truncate(st.title, props.width - TITLE_ROOM)}
              <Text dimColor> {st.confirm ? 'script, runs on Enter' : st.kind}{st.blocking ? '' : ', optional'}</Text>
            </Text>
            {unknown ? (
              // Said in full, wrapped: the one thing to read before pressing Enter.
              <Box paddingLeft={5} width={props.width - 4}>
                <Text wrap="wrap" color={color('yellow')}>
                  {`${UNKNOWN_OUTCOME}; then Enter and type ${st.id} to run it again`}
                </Text>
              </Box>
            ) : detail && (isCurrent || st.state === 'failed') ? (
              <Text wrap="truncate" color={stepColor(st.state)}>
                {'     '}{truncate(detail, props.width - 10)}
              </Text>
            ) : null}
            {isCurrent && lines.length > 0
              ? lines.map((l, j) => (
                  // Indented as a block: a wrapped line's rest starts under its beginning.
                  <Box key={j} paddingLeft={5} width={props.width - 4}>
                    <Text wrap="wrap" color={color('cyan')}>
                      {l}
                    </Text>
                  </Box>
                ))
              : null}
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

