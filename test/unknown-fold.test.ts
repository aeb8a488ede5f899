// Which actions have an unknown outcome (engine/action-pairs.ts foldUnknown): what makes one
// unknown, what carries it into the next run, and that only a real outcome makes it known again.
import { describe, expect, it } from 'vitest';
import { NO_UNKNOWN, foldUnknown } from '../src/engine/action-pairs.js';
import type { EventBody } from '../src/engine/types.js';

const fold = (bodies: EventBody[]) => bodies.reduce(foldUnknown, NO_UNKNOWN).unknown;
const asked = (action: string, mode?: 'MOCK_ONLY' | 'DRY_RUN' | 'REAL_ENABLED'): EventBody => ({ kind: 'action.requested', action, confirmedWith: action, ...(mode ? { mode } : {}) });
const ended = (action: string, status: 'succeeded' | 'failed' | 'unknown' | 'dry-run'): EventBody => ({ kind: 'action.completed', action, status, reason: '', output: '', durationMs: 0 });

describe('foldUnknown', () => {
  it('an unknown outcome marks the action; a real one, succeeded or failed, clears it', () => {
    expect(fold([asked('rollback'), ended('rollback', 'unknown')])).toEqual(['rollback']);
    expect(fold([asked('rollback'), ended('rollback', 'unknown'), asked('rollback', 'REAL_ENABLED'), ended('rollback', 'failed')])).toEqual([]);
    expect(fold([ended('rollback', 'unknown'), asked('rollback'), ended('rollback', 'succeeded')])).toEqual([]);
  });

  it('a dry run or a mock says nothing of the real target: the action stays unknown', () => {
    expect(fold([ended('rollback', 'unknown'), asked('rollback', 'DRY_RUN'), ended('rollback', 'dry-run')])).toEqual(['rollback']);
    expect(fold([ended('rollback', 'unknown'), asked('rollback', 'MOCK_ONLY'), ended('rollback', 'succeeded')])).toEqual(['rollback']);
  });

  it('a run starts with what the run before left unknown, until it has its own outcome', () => {
    const started: EventBody = { kind: 'run.started', runbook: 'rb', name: 'Rb', unknown: ['launch', 'rollback'] };
    expect(fold([started])).toEqual(['launch', 'rollback']);
    expect(fold([started, asked('launch', 'REAL_ENABLED'), ended('launch', 'succeeded')])).toEqual(['rollback']);
  });
});
