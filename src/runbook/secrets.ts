// Secrets are named in the runbook and read from the environment at the moment of use.
// Their values must never reach the ledger, logs or the screen: every text that leaves the
// engine goes through a Redactor.

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class MissingSecretError extends Error {
  constructor(readonly secret: string) {
    super(`environment variable ${secret} is not set`);
  }
}

/** Expand `${NAME}` references to declared secrets. Undeclared names are left as written. */
export function expandTemplate(
  template: string,
  env: NodeJS.ProcessEnv,
  declared: readonly string[],
): string {
  return template.replace(REF, (whole, name: string) => {
    if (!declared.includes(name)) return whole;
    const value = env[name];
    if (value === undefined || value === '') throw new MissingSecretError(name);
    return value;
  });
}

export function expandRecord(
  record: Record<string, string>,
  env: NodeJS.ProcessEnv,
  declared: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[k] = expandTemplate(v, env, declared);
  return out;
}

export const MASK = '***';

export class Redactor {
  private readonly values: string[];
  constructor(declared: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    // Longest first, so a secret that contains another is masked whole. Very short values
    // would mask ordinary text everywhere; they are still masked, as a leak is worse.
    this.values = declared
      .map((name) => env[name])
      .filter((v): v is string => typeof v === 'string' && v.length > 0)
      .sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.values.length > 0;
  }

  text(s: string): string {
    let out = s;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** Deep copy with every string masked. */
  value<T>(v: T): T {
    if (!this.active) return v;
    return JSON.parse(this.text(JSON.stringify(v))) as T;
  }
}
