// A runbook of tens of thousands of steps in one section (a generated inventory, say) is read
// and outlined whole, in time linear in its steps: the limit below is far above what a linear
// reading needs (half a second here) and far below what a reading quadratic in the steps of
// a section took (tens of seconds for this size).
import { describe, expect, it } from 'vitest';
import { formatOutline } from '../src/cli/outline.js';
import { parseMarkdownRunbook } from '../src/runbook/markdown/load.js';

const STEPS = 60_000;

function generated(): string {
  const parts = ['# Inventory sweep', '', '## Hosts', ''];
  for (let i = 0; i < STEPS; i++) parts.push(`- [ ] Drain host-${i}`);
  parts.push('', '## Verify', '', '```sh', 'echo all drained', '```', '');
  return parts.join('\n');
}

describe('validate --outline on a generated runbook of 60,000 steps', () => {
  it('outlines every step, in order, with the one after them', { timeout: 10_000 }, () => {
    const rb = parseMarkdownRunbook(generated(), 'sweep.md', {});
    expect(rb.checklists.preflight).toHaveLength(STEPS);
    expect(rb.checklists.postflight).toHaveLength(1);
    const outline = formatOutline(rb, 'sweep.md').split('\n');
    const numbered = outline.filter((l) => /^\s+\d+\. /.test(l));
    expect(numbered).toHaveLength(STEPS + 1);
    expect(numbered[0].trim()).toBe('1. Drain host-0');
    expect(numbered[STEPS - 1].trim()).toBe(`${STEPS}. Drain host-${STEPS - 1}`);
    expect(numbered[STEPS].trim()).toBe(`${STEPS + 1}. Run: echo all drained`);
    expect(outline).toContain('      $ echo all drained');
  });
});
