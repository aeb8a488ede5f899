// The lease decision: when another process may take a run over.
import { describe, expect, it } from 'vitest';
import { LEASE_LAPSE_MS, chooseRun, describeHolder, leaseState, type LeaseView, type RunLease } from '../src/engine/lease.js';
import { unansweredRequests } from '../src/engine/action-pairs.js';
import type { RunRecord } from '../src/engine/ports.js';
import type { EventBody, LedgerEvent } from '../src/engine/types.js';

const NOW = 1_800_000_000_000;
const lease = (over: Partial<RunLease> = {}): RunLease => ({ runId: 'r-1', pid: 4242, host: 'ops-1', token: 't', takenAt: NOW - 60_000, heartbeatAt: NOW - 1_000, ...over });
/** Judged from host ops-1, where only the pids in `alive` run. */
const from = (alive: number[], host = 'ops-1', now = NOW): LeaseView => ({ now, host, alive: (h) => alive.includes(h.pid) });
const run = (runId: string): RunRecord => ({ runId, runbook: '/rb.yaml', name: 'rb', status: 'running', startedAt: NOW });

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

describe('chooseRun', () => {
  it('resumes the newest open run whose lease lapsed; newer held runs are left alone', () => {
    const open = [
      { run: run('r-3'), lease: lease({ runId: 'r-3' }) },
      { run: run('r-2'), lease: lease({ runId: 'r-2', pid: 9 }) },
      { run: run('r-1') },
    ];
    const c = chooseRun(open, from([4242]));
    expect(c.resume?.run.runId).toBe('r-2');
    expect(c.held.map((o) => o.run.runId)).toEqual(['r-3']);
  });

  it('starts a new run when every open run is held, and says by whom', () => {
    const open = [{ run: run('r-3'), lease: lease({ runId: 'r-3', heartbeatAt: NOW - 3_000 }) }];
    const c = chooseRun(open, from([4242]));
    expect(c.resume).toBeUndefined();
    expect(c.held).toEqual(open);
    expect(describeHolder(open[0].lease, NOW)).toBe('pid 4242 on host ops-1, heard from 3 s ago');
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
