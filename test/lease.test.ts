// The lease decision: when another process may take a run over.
import { describe, expect, it } from 'vitest';
import { LEASE_LAPSE_MS, leaseState, type LeaseView, type RunLease } from '../src/engine/lease.js';
import { unansweredRequests } from '../src/engine/action-pairs.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';

const NOW = 1_800_000_000_000;
const lease = (over: Partial<RunLease> = {}): RunLease => ({ runId: 'r-1', pid: 4242, host: 'ops-1', token: 't', takenAt: NOW - 60_000, heartbeatAt: NOW - 1_000, ...over });
/** Judged from host ops-1, where only the pids in `alive` run. */
const from = (alive: number[], host = 'ops-1', now = NOW): LeaseView => ({ now, host, alive: (h) => alive.includes(h.pid) });

describe('leaseState', () => {
  it('holds while the owner lives on this host and its heartbeat is recent', () => {
    expect(leaseState(lease(), from([4242]))).toEqual({ lapsed: false });
    expect(leaseState(lease({ heartbeatAt: NOW - LEASE_LAPSE_MS }), from([4242]))).toEqual({ lapsed: false });
  });

  it('lapses when the heartbeat is older than the lapse time, even with the pid alive', () => {
    expect(leaseState(lease({ heartbeatAt: NOW - LEASE_LAPSE_MS - 1 }), from([4242]))).toEqual({ lapsed: true, why: 'heartbeat' });
    expect(leaseState(lease({ heartbeatAt: NOW - LEASE_LAPSE_MS - 1, host: 'ops-2' }), from([]))).toEqual({ lapsed: true, why: 'heartbeat' });
  });

  it('lapses at once when its pid is gone on the same host', () => {
    expect(leaseState(lease(), from([7]))).toEqual({ lapsed: true, why: 'owner gone' });
  });

  it("does not judge another host's pid: a fresh heartbeat from there holds", () => {
    expect(leaseState(lease({ host: 'ops-2' }), from([]))).toEqual({ lapsed: false });
  });

  it('a run with no lease (written before leases, or given up) is free', () => {
    expect(leaseState(undefined, from([]))).toEqual({ lapsed: true, why: 'no lease' });
  });
});

describe('unansweredRequests', () => {
  const ev = (body: EventBody, seq: number): LedgerEvent => ({ runId: 'r-1', seq, at: NOW, operator: 'ops', body });
  const req = (action: string): EventBody => ({ kind: 'action.requested', action, confirmedWith: action });
  const done = (action: string): EventBody => ({ kind: 'action.completed', action, status: 'succeeded', reason: 'ok', output: '', durationMs: 1 });

  it('pairs each outcome with one request of the same action; the rest are unanswered', () => {
    const events = [req('abort'), done('abort'), req('abort'), req('rollback'), done('rollback')].map(ev);
    expect(unansweredRequests(events)).toEqual(['abort']);
    expect(unansweredRequests([req('abort'), req('abort'), done('abort')].map(ev))).toEqual(['abort']);
    expect(unansweredRequests([req('abort'), done('abort')].map(ev))).toEqual([]);
  });
});
