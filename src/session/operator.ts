import { userInfo } from 'node:os';

/** Who is at the keyboard: OPSCOCKPIT_OPERATOR, else the OS user. Recorded on every event. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.OPSCOCKPIT_OPERATOR?.trim();
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}
