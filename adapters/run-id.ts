import { randomBytes } from 'node:crypto';

/** `r-20261123-112233-1a2b`: sorts by start time (UTC), random tail keeps it unique. */
export function newRunId(at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r-${stamp}-${randomBytes(2).toString('hex')}`;
}
