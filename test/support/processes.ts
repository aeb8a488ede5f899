// Whether a process still runs, for tests that kill process groups.
import { readFileSync } from 'node:fs';

/**
 * Dead means ESRCH, or a zombie: in containers whose PID 1 does not reap orphans, a killed
 * grandchild stays a zombie (state Z) forever although it no longer runs.
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true; // vanished between the two looks
  }
}

export async function waitGone(pid: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (isGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return isGone(pid);
}
