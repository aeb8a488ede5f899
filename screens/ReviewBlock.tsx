// A block longer than the Checklist can show, read page by page before it may run: Enter runs
// it only once its last line has been on screen (the root input handler asks reviewPage).
// Long lines are folded, never cut: every character of the block is shown.
import React from 'react';
import { Text } from './ink.js';
import { useCockpit } from './context.js';
import { Panel } from './Panel.js';
import { commandLines, withValues } from './step-command.js';
import { color } from './theme.js';
import type { CockpitState } from '../src/store/store.js';
import type { StepView } from '../src/engine/checklist.js';

interface Row {
  /** The block's line number on its first row; undefined on a folded row. */
  line?: number;
  text: string;
}

/** The block's lines folded to the width: what the pages are cut from. */
function rowsOf(all: readonly string[], width: number): Row[] {
  const room = Math.max(10, width - 12);
  const out: Row[] = [];
  all.forEach((l, i) => {
    const chars = [...l];
    for (let at = 0; at === 0 || at < chars.length; at += room) out.push({ line: at === 0 ? i + 1 : undefined, text: chars.slice(at, at + room).join('') });
  });
  return out;
}

/** The page shown: its rows, and whether the block's last line is among them. */
export function reviewPage(all: readonly string[], page: number, size: { rows: number; width: number }): { rows: Row[]; last: boolean } {
  const rows = rowsOf(all, size.width);
  const per = Math.max(3, size.rows - 9); // the terminal less header, footer, borders and hint
  const first = Math.min(page * per, Math.max(0, rows.length - per));
  return { rows: rows.slice(first, first + per), last: first + per >= rows.length };
}

/** The block the review is of: the current step's command lines. */
export function reviewLines(s: CockpitState): { lines: string[]; typed: boolean } {
  const m = s.modal?.kind === 'review' ? s.modal : undefined;
  return linesOf(m ? s.checklist.phases[m.step.phase].steps.find((st) => st.id === m.step.id) : undefined, s.runbook.checks, s.runbook.params);
}

function linesOf(step: StepView | undefined, checks: CockpitState['runbook']['checks'], params: CockpitState['runbook']['params']): { lines: string[]; typed: boolean } {
  return { lines: withValues(commandLines(step?.check ? checks[step.check] : undefined), params), typed: step?.typed === true };
}

export function ReviewBlock(props: { width: number; rows: number }) {
  const { modal, checks, params, step } = useCockpit((s) => {
    const m = s.modal?.kind === 'review' ? s.modal : undefined;
    return { modal: m, checks: s.runbook.checks, params: s.runbook.params, step: m ? s.checklist.phases[m.step.phase].steps.find((st) => st.id === m.step.id) : undefined };
  });
  if (!modal) return null;
  const block = linesOf(step, checks, params);
  const { rows, last } = reviewPage(block.lines, modal.page, { rows: props.rows, width: props.width });
  const lines = rows.map((r) => r.line).filter((n): n is number => n !== undefined);
  const span = lines.length ? `lines ${lines[0]}–${lines[lines.length - 1]} of ${block.lines.length}` : `${block.lines.length} lines`;
  return (
    <Panel title={`Read before it runs: ${modal.step.title}`} right={span} width={props.width} borderColor={color('yellow')}>
      {rows.map((r, i) => (
        <Text key={i} wrap="truncate-end" color={color('cyan')}>
          {r.line === undefined ? '   ↪' : String(r.line).padStart(4)} {r.text}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {last ? `Enter ${block.typed ? 'then asks for its id typed' : 'runs it'} · ↑ back · Esc cancels` : '↓ or Space: the next lines · Enter runs it once its last line was shown · Esc cancels'}
      </Text>
    </Panel>
  );
}
