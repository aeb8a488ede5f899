// The wide cockpit's line budgets: the frame fits the terminal, and wrapped reasons are counted
// as Ink wraps them.
import { describe, expect, it } from 'vitest';
import { cockpitLayout, FIXED_LINES, wrappedLines } from '../screens/layout.js';

describe('cockpitLayout', () => {
  it('fits the terminal from 40 rows up, whatever the number of checks', () => {
    for (const rows of [40, 41, 50, 60, 100]) {
      for (const checks of [0, 1, 4, 20, 71, 500]) {
        const l = cockpitLayout(rows, checks);
        const ready = l.readyLines;
        // The Ready/Gate row is as tall as its taller panel: the Gate's lines hold its headline and "… more".
        const row1 = Math.max(ready + 1, l.gateLines);
        expect(FIXED_LINES - 1 + row1 + l.stepRows + l.ledgerRows, `${rows} rows, ${checks} checks`).toBeLessThanOrEqual(rows);
        expect(l.stepRows).toBeGreaterThanOrEqual(3);
        expect(l.ledgerRows).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('keeps the demo runbook as it was at 120x40: four checks with a reason line each, five steps', () => {
    expect(cockpitLayout(40, 4)).toEqual({ readyLines: 8, gateLines: 9, stepRows: 7, ledgerRows: 6 });
  });

  it('gives the checklist what the checks leave, up to a quarter of the rows', () => {
    expect(cockpitLayout(80, 2).stepRows).toBe(20);
    expect(cockpitLayout(40, 71).stepRows).toBe(7);
  });
});

describe('wrappedLines', () => {
  it('wraps by words, splits a word longer than the line, and counts wide characters twice', () => {
    expect(wrappedLines('', 10)).toBe(1);
    expect(wrappedLines('aaaa bbbb', 9)).toBe(1);
    expect(wrappedLines('aaaa bbbbb', 9)).toBe(2);
    expect(wrappedLines('x'.repeat(25), 10)).toBe(3);
    expect(wrappedLines(`ab ${'x'.repeat(25)} cd`, 10)).toBe(4);
    expect(wrappedLines('東京リージョン', 10)).toBe(2);
    expect(wrappedLines('one\ntwo', 10)).toBe(2);
  });
});
