// Who drives a run. The run's lease (lease.ts) is the driver's seat: its holder drives, with a
// name, a reason and a since; every other cockpit on the run observes it, and may stop it (the
// emergency stop is anyone's) or take the seat over with a reason of its own, which the run
// records. Pure: the caller gives the leases, the time and how local times are written.
import { LEASE_LAPSE_MS, leaseState, type LeaseView, type OpenRun, type RunLease } from './lease.js';
import type { EventBody } from './types.js';

/**
 * How a process sits in a run: `headless` (run, act) drives the runbook's run only when nobody
 * does, and is refused while a live driver holds it, unless it takes the run over with a reason;
 * `join` (the cockpit) observes the run a live driver holds; `watch` observes whatever the
 * runbook's newest open run is and never drives.
 */
export type SeatWish = 'headless' | 'join' | 'watch';

export type Seat =
  /** Resume this run (its lease lapsed) or, without one, start a new run. */
  | { role: 'driver'; resume?: OpenRun; takeOver?: undefined }
  /** Take this run over from its live driver (headless, with a reason): recorded as run.driver. */
  | { role: 'driver'; takeOver: OpenRun & { lease: RunLease }; resume?: undefined }
  | { role: 'observer'; run: OpenRun }
  /** Someone drives the runbook's run: a headless command does not act beside them. */
  | { role: 'refused'; run: OpenRun & { lease: RunLease } };

/** The note a headless check's own run carries (`headless check (preflight)`). */
export const CHECK_RUN_NOTE = 'headless check';

/**
 * Where a starting process sits, given the runbook's open runs newest first. One run of a
 * runbook is driven at a time: while a live lease holds one, every other start observes it,
 * takes it over with a reason, or is refused.
 */
export function chooseSeat(all: readonly OpenRun[], here: LeaseView, wish: SeatWish, takeOver = false): Seat | undefined {
  // A headless check records in a run of its own: nobody drives, joins or resumes it.
  const open = all.filter((o) => !o.run.note?.startsWith(CHECK_RUN_NOTE));
  const newest = open[0];
  if (wish === 'watch') return newest ? { role: 'observer', run: newest } : undefined;
  const driven = open.find((o): o is OpenRun & { lease: RunLease } => !leaseState(o.lease, here).lapsed);
  if (driven) {
    if (wish === 'join') return { role: 'observer', run: driven };
    return takeOver ? { role: 'driver', takeOver: driven } : { role: 'refused', run: driven };
  }
  return newest ? { role: 'driver', resume: newest } : { role: 'driver' };
}

/**
 * The driver a resume takes the run from, when its lease lapsed only by silence (no heartbeat):
 * it may still be alive (a laptop asleep, a stopped process, another host), so the resume says
 * whom it took the run from. A lease whose process is known gone, or none, needs no such word.
 */
export function silentDriver(lease: RunLease | undefined, here: LeaseView, lapseMs = LEASE_LAPSE_MS): { driver: string; since: number } | undefined {
  // Its process is known gone (a crash on this host): nobody went silent, whenever it died.
  if (!lease || (lease.host === here.host && !here.alive(lease))) return undefined;
  const state = leaseState(lease, here, lapseMs);
  return state.lapsed && state.why === 'heartbeat' ? { driver: driverName(lease), since: lease.heartbeatAt } : undefined;
}

/** Local "10:42:07", for a moment an operator compares with their own clock. */
export const hourMinuteSecond: TimeOfDay = (at) => new Date(at).toTimeString().slice(0, 8);

/** "alice went silent (no heartbeat since 10:41:07)". */
export function silentLine(lapsed: { driver: string; since: number }, time: TimeOfDay = hourMinuteSecond): string {
  return `${lapsed.driver} went silent (no heartbeat since ${time(lapsed.since)})`;
}

/** Local "10:42", as the screen says a time of day. */
export type TimeOfDay = (at: number) => string;

export const hourMinute: TimeOfDay = (at) => {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

/** The lease's driver by name, else by process (a lease taken before drivers had names). */
export function driverName(lease: RunLease): string {
  return lease.driver ?? `pid ${lease.pid} on ${lease.host}`;
}

/** "alice is driving since 10:42: cutover v2.3". */
export function drivingLine(lease: RunLease, time: TimeOfDay = hourMinute): string {
  return `${driverName(lease)} is driving since ${time(lease.takenAt)}${lease.reason ? `: ${lease.reason}` : ''}`;
}

/**
 * What an observer reads: who drives and since when, or that nobody does; and when the seat
 * frees itself (the lease lapses once the driver's heartbeat stops for LEASE_LAPSE_MS).
 */
export function observerLine(lease: RunLease | undefined, here: LeaseView, time: TimeOfDay = hourMinute, lapseMs = LEASE_LAPSE_MS): string {
  const lapse = `${lapseMs / 1000} s`;
  if (!lease) return `Nobody is driving this run (its driver let it go).`;
  const state = leaseState(lease, here, lapseMs);
  if (state.lapsed) return `${driverName(lease)} drove since ${time(lease.takenAt)}, but went silent: the lease lapsed (no heartbeat for ${lapse}).`;
  return `${drivingLine(lease, time)} (the lease lapses after ${lapse} without a heartbeat).`;
}

/** The event a take-over records, or why it may not happen. */
export function takeOver(lease: RunLease | undefined, me: string, reason: string): { ok: true; event: Extract<EventBody, { kind: 'run.driver' }> } | { ok: false; why: string } {
  const why = reason.trim();
  if (!why) return { ok: false, why: 'Taking over needs a reason.' };
  const from = lease ? driverName(lease) : undefined;
  return { ok: true, event: from === undefined ? { kind: 'run.driver', to: me, reason: why } : { kind: 'run.driver', from, to: me, reason: why } };
}
