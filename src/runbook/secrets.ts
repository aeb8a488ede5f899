// Secrets are named in the runbook and read from the environment at the moment of use.
// Their values must never reach the ledger, logs or the screen: every text that leaves the
// engine goes through a Redactor.
import { ownValue, setOwn } from '../own.js';

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
    const value = ownValue(env, name);
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

/**
 * Every form a secret's value takes on the way out: as written, JSON-escaped, URL-encoded
 * (with %20 and with +), and base64 (standard and URL-safe) at each of the three byte
 * alignments it can have inside a longer encoded text, such as `user:pass` in a Basic
 * Authorization header. A base64 form is the part that depends on the secret alone; `widen`
 * masks the encoded characters around it too, which mix in a byte or two of the secret.
 */
interface SecretForm {
  text: string;
  widen: boolean;
}

function formsOf(value: string): SecretForm[] {
  const plain = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, '+')];
  const forms: SecretForm[] = plain.map((text) => ({ text, widen: false }));
  const bytes = Buffer.from(value, 'utf8');
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const end = 4 * Math.floor((pad + bytes.length) / 3);
    const core = encoded.slice(pad ? 4 : 0, end);
    if (core.length < 4) continue;
    forms.push({ text: core, widen: true }, { text: core.replace(/\+/g, '-').replace(/\//g, '_'), widen: true });
  }
  // Longest first, so a form that contains another is masked whole; each once.
  const seen = new Set<string>();
  return forms.filter((f) => f.text.length > 0 && !seen.has(f.text) && seen.add(f.text)).sort((a, b) => b.text.length - a.text.length);
}

const BASE64_CHAR = /[A-Za-z0-9+/\-_=]/;

/** Fields whose values are words of a fixed vocabulary (a status, a reason code), never data. */
const ENUM_FIELDS = new Set(['kind', 'status', 'code', 'state', 'verdict', 'phase', 'mode']);

export class Redactor {
  private forms: SecretForm[] = [];
  constructor(declared: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    // Very short values would mask ordinary text everywhere; they are still masked, as a leak
    // is worse.
    this.add(...declared.map((name) => ownValue(env, name)).filter((v): v is string => typeof v === 'string' && v.length > 0));
  }

  /** Mask these values too from now on: a secret given during the run. */
  add(...values: string[]): void {
    const all = [...this.forms, ...[...new Set(values)].filter((v) => v.length > 0).flatMap(formsOf)];
    const seen = new Set<string>();
    this.forms = all.filter((f) => !seen.has(f.text) && seen.add(f.text)).sort((a, b) => b.text.length - a.text.length);
  }

  get active(): boolean {
    return this.forms.length > 0;
  }

  /**
   * The end of a longer output, masked. A cut may fall inside a secret and leave its end,
   * which no form matches: the first characters, as many as the longest form but one, go too.
   */
  tail(text: string, truncated: boolean): string {
    if (!truncated || !this.active) return this.text(text);
    return this.text(text.slice(Math.min(text.length, this.forms[0].text.length - 1)));
  }

  text(s: string): string {
    let out = s;
    for (const f of this.forms) {
      if (!out.includes(f.text)) continue;
      out = f.widen ? maskWidened(out, f.text) : out.split(f.text).join(MASK);
    }
    return out;
  }

  /**
   * Deep copy with every string value masked. Keys, and the values of fields that hold a word
   * of a fixed vocabulary (ENUM_FIELDS), are the record's structure, not data: masking them
   * would turn `healthy` into `heal***hy` under a one-letter secret and break what reads them.
   */
  value<T>(v: T): T {
    if (!this.active) return v;
    return this.copy(v) as T;
  }

  private copy(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.copy(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // setOwn: a `__proto__` key (from an answer's JSON) is kept as a key, not made the prototype.
      for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, ENUM_FIELDS.has(k) && typeof x === 'string' ? x : this.copy(x));
      return out;
    }
    return v;
  }

  /**
   * Output that arrives in chunks (a script's stdout): a secret printed in pieces, split
   * across chunks, is masked too. What may be the start of a secret is held back until the
   * next chunk, or `end()`.
   */
  stream(): { push(chunk: string): string; end(): string } {
    let held = '';
    return {
      push: (chunk) => {
        if (!this.active) return chunk;
        const masked = this.text(held + chunk);
        const keep = this.partialTail(masked);
        held = masked.slice(masked.length - keep);
        return masked.slice(0, masked.length - keep);
      },
      end: () => {
        const rest = held;
        held = '';
        return rest;
      },
    };
  }

  /** Length of the longest end of `s` that begins some form (and could finish in the next chunk). */
  private partialTail(s: string): number {
    let best = 0;
    for (const f of this.forms) {
      for (let n = Math.min(f.text.length - 1, s.length); n > best; n--) {
        if (s.endsWith(f.text.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}

/** Masks each occurrence of a base64 form and the encoded characters next to it. */
function maskWidened(s: string, form: string): string {
  let out = '';
  let from = 0;
  for (let at = s.indexOf(form); at !== -1; at = s.indexOf(form, from)) {
    let start = at;
    let end = at + form.length;
    for (let n = 0; n < 4 && start > from && BASE64_CHAR.test(s[start - 1]); n++) start--;
    for (let n = 0; n < 4 && end < s.length && BASE64_CHAR.test(s[end]); n++) end++;
    out += s.slice(from, start) + MASK;
    from = end;
  }
  return out + s.slice(from);
}

const redactors = new Map<string, Redactor>();

/**
 * The Redactor for these secrets' current values, made once: a check polled every second asks
 * for one each time, and making one derives every form of every secret.
 */
export function redactorFor(declared: readonly string[], env: NodeJS.ProcessEnv = process.env): Redactor {
  const key = declared.map((name) => `${name}=${ownValue(env, name) ?? ''}`).join('\0');
  let r = redactors.get(key);
  if (!r) {
    if (redactors.size >= 64) redactors.delete(redactors.keys().next().value as string);
    redactors.set(key, (r = new Redactor(declared, env)));
  }
  return r;
}
