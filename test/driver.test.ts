// Who drives a run, decided purely (src/engine/driver.ts): where a starting process sits, what an
// observer reads, and what a take-over records.
import { describe, expect, it } from 'vitest';
import { chooseSeat, drivingLine, observerLine, silentDriver, takeOver } from '../src/engine/driver.js';
import { LEASE_LAPSE_MS, type LeaseView, type OpenRun, type RunLease } from '../src/engine/lease.js';
import type { RunRecord } from '../src/engine/ports.js';

const NOW = 1_800_000_000_000;
const here: LeaseView = { now: NOW, host: 'ops-1', alive: () => true };
const run = (id: string): RunRecord => ({ runId: id, runbook: 'ship.yaml', name: 'Ship', status: 'running', startedAt: NOW - 60_000 });
const lease = (id: string, over: Partial<RunLease> = {}): RunLease => ({ runId: id, pid: 42, host: 'ops-2', token: 't', takenAt: NOW - 30_000, heartbeatAt: NOW - 1000, driver: 'alice', reason: 'cutover v2.3', ...over });
const time = () => '10:42';

describe('where a starting process sits', () => {
  const live: OpenRun = { run: run('r2'), lease: lease('r2') };
  const lapsed: OpenRun = { run: run('r1'), lease: lease('r1', { heartbeatAt: NOW - LEASE_LAPSE_MS - 1 }) };

  it('a cockpit joins the run a live driver holds as an observer; a headless command is refused there, or takes it over with a reason', () => {
    expect(chooseSeat([live, lapsed], here, 'join')).toEqual({ role: 'observer', run: live });
    expect(chooseSeat([lapsed, live], here, 'join')).toEqual({ role: 'observer', run: live });
    expect(chooseSeat([live, lapsed], here, 'headless')).toEqual({ role: 'refused', run: live });
    expect(chooseSeat([lapsed, live], here, 'headless')).toEqual({ role: 'refused', run: live });
    expect(chooseSeat([live, lapsed], here, 'headless', true)).toEqual({ role: 'driver', takeOver: live });
  });

  it("a headless check's own run is nobody's seat", () => {
    const check: OpenRun = { run: { ...run('c1'), note: 'headless check (preflight)' }, lease: lease('c1', { driver: 'cron' }) };
    expect(chooseSeat([check], here, 'headless')).toEqual({ role: 'driver' });
    expect(chooseSeat([check, live], here, 'join')).toEqual({ role: 'observer', run: live });
  });

  it('a run whose driver went silent is resumed and driven, headless too; none open: a new run', () => {
    for (const wish of ['join', 'headless'] as const) {
      expect(chooseSeat([lapsed], here, wish)).toEqual({ role: 'driver', resume: lapsed });
      expect(chooseSeat([lapsed], here, wish, true)).toEqual({ role: 'driver', resume: lapsed });
      expect(chooseSeat([], here, wish)).toEqual({ role: 'driver' });
    }
  });

  it('watch observes the newest open run whoever holds it, and has nothing to watch without one', () => {
    expect(chooseSeat([lapsed], here, 'watch')).toEqual({ role: 'observer', run: lapsed });
    expect(chooseSeat([], here, 'watch')).toBeUndefined();
  });
});

describe('what an observer reads', () => {
  it('who drives, since when, why, and the lapse time', () => {
    expect(drivingLine(lease('r'), time)).toBe('alice is driving since 10:42: cutover v2.3');
    expect(observerLine(lease('r'), here, time)).toBe('alice is driving since 10:42: cutover v2.3 (the lease lapses after 15 s without a heartbeat).');
  });

  it('a silent driver, a driver who let go, a lease without a name', () => {
    expect(observerLine(lease('r', { heartbeatAt: NOW - 20_000 }), here, time)).toBe('alice drove since 10:42, but went silent: the lease lapsed (no heartbeat for 15 s).');
    expect(observerLine(undefined, here, time)).toBe('Nobody is driving this run (its driver let it go).');
    expect(drivingLine(lease('r', { driver: undefined, reason: undefined }), time)).toBe('pid 42 on ops-2 is driving since 10:42');
  });
});

describe('taking over', () => {
  it('needs a reason, and records from whom to whom', () => {
    expect(takeOver(lease('r'), 'bob', '  ')).toEqual({ ok: false, why: 'Taking over needs a reason.' });
    expect(takeOver(lease('r'), 'bob', ' alice is off shift ')).toEqual({ ok: true, event: { kind: 'run.driver', from: 'alice', to: 'bob', reason: 'alice is off shift' } });
    expect(takeOver(undefined, 'bob', 'nobody drove')).toEqual({ ok: true, event: { kind: 'run.driver', to: 'bob', reason: 'nobody drove' } });
  });
});

describe('whom a resume took the run from', () => {
  const quiet = lease('r1', { heartbeatAt: NOW - LEASE_LAPSE_MS - 5000 });
  it('a driver that went silent and may be alive: on another host, or a process still there on this one', () => {
    expect(silentDriver(quiet, here)).toEqual({ driver: 'alice', since: NOW - LEASE_LAPSE_MS - 5000 });
    expect(silentDriver({ ...quiet, host: 'ops-1' }, here)).toEqual({ driver: 'alice', since: NOW - LEASE_LAPSE_MS - 5000 });
  });
  it('none for a process known gone on this host (a crash, however long ago), a live lease, or none', () => {
    expect(silentDriver({ ...quiet, host: 'ops-1' }, { ...here, alive: () => false })).toBeUndefined();
    expect(silentDriver(lease('r2'), here)).toBeUndefined();
    expect(silentDriver(undefined, here)).toBeUndefined();
  });
});
