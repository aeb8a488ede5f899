// A transaction's async context (adapters/transaction-context.ts): its store inside the run and
// what the run starts while it runs, nothing outside; a run that overlaps another keeps its
// store when the other ends; once the last run ends the context is off, so what a finished
// transaction left behind (a timer firing later) no longer counts as inside it.
import { describe, expect, it } from 'vitest';
import { TransactionContext } from '../adapters/transaction-context.js';

const later = <T>(ms: number, fn: () => T) => new Promise<T>((r) => setTimeout(() => r(fn()), ms));

describe('a transaction context', () => {
  it('has its store inside the run and in what the run awaits, and none outside', async () => {
    const ctx = new TransactionContext<string>();
    expect(ctx.getStore()).toBeUndefined();
    const seen = await ctx.run('tx-1', async () => [ctx.getStore(), await later(5, () => ctx.getStore())]);
    expect(seen).toEqual(['tx-1', 'tx-1']);
    expect(ctx.getStore()).toBeUndefined();
  });

  it('keeps an overlapping run its store when another run ends first', async () => {
    const ctx = new TransactionContext<string>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = ctx.run('a', async () => {
      await gate;
      return ctx.getStore();
    });
    expect(await ctx.run('b', async () => ctx.getStore())).toBe('b');
    release();
    expect(await a).toBe('a');
  });

  it('is off once the last run ended: a timer a finished run left behind is not inside it', async () => {
    const ctx = new TransactionContext<string>();
    let leftBehind!: Promise<string | undefined>;
    await ctx.run('tx', async () => {
      leftBehind = later(20, () => ctx.getStore());
    });
    expect(await leftBehind).toBeUndefined();
    // And it works again for the next run.
    expect(await ctx.run('next', async () => later(1, () => ctx.getStore()))).toBe('next');
  });

  it('ends a run that throws, and is off after it', async () => {
    const ctx = new TransactionContext<string>();
    await expect(ctx.run('bad', async () => Promise.reject(new Error('rolled back')))).rejects.toThrow('rolled back');
    expect(ctx.getStore()).toBeUndefined();
  });
});
