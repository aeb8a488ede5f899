// Recognising HTTP reads in short texts: a request line (`GET /health`) or a curl command
// that only reads (`curl -sS http://localhost:8080/readyz | jq .`). Only GET and HEAD become
// checks: a POST in a runbook changes something and stays with the operator.
import type { ProposedHttpCheck } from './structure.js';

/** Target for bare paths; the operator points it at the service with OPSCOCKPIT_TARGET_URL. */
export const APP_TARGET = { name: 'app', base: '${OPSCOCKPIT_TARGET_URL:-http://127.0.0.1:8080}' } as const;

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+(\/\S*|https?:\/\/\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/;

export type RequestLine = { method: string; where: string };

/** `GET /api/ops/daily` → { method, where }; anything else → undefined. */
export function requestLine(text: string): RequestLine | undefined {
  const m = REQUEST_LINE.exec(text.trim());
  return m ? { method: m[1], where: m[2] } : undefined;
}

/** A proposed check for a request line or a reading curl command; undefined otherwise. */
export function proposedCheck(command: string): ProposedHttpCheck | undefined {
  const line = requestLine(command);
  if (line) {
    if (line.method !== 'GET' && line.method !== 'HEAD') return undefined;
    return fromWhere(line.method, line.where, {}, `${line.method} ${line.where}`);
  }
  return curlCheck(command);
}

/** Whether the command is an HTTP request written as a request line (any method). */
export function isRequestLine(command: string): boolean {
  return requestLine(command) !== undefined;
}

const WRITES = new Set(['-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '--json', '-F', '--form', '-T', '--upload-file']);
const WRITE_PREFIXES = [...WRITES].filter((f) => f.startsWith('--')).map((f) => `${f}=`);
/** Words that end the curl command (a pipe, a list, a redirection). */
const COMMAND_ENDS = new Set(['|', '&&', ';', '||', '>']);

/** `--data=…` and the like. */
function writesWithValue(word: string): boolean {
  if (!word.startsWith('--')) return false;
  for (let i = 0; i < WRITE_PREFIXES.length; i++) if (word.startsWith(WRITE_PREFIXES[i])) return true;
  return false;
}

function curlCheck(command: string): ProposedHttpCheck | undefined {
  if (!command.includes('curl')) return undefined; // most commands: no need to split them
  const words = shellWords(command);
  if (words[0] !== 'curl') return undefined;
  let end = 1;
  while (end < words.length && !COMMAND_ENDS.has(words[end])) end++;
  let method: 'GET' | 'HEAD' = 'GET';
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < end; i++) {
    const w = words[i];
    if (WRITES.has(w) || writesWithValue(w)) return undefined;
    if (w === '-X' || w === '--request') {
      const m = (i + 1 < end ? words[++i] : '').toUpperCase();
      if (m === 'HEAD') method = 'HEAD';
      else if (m !== 'GET') return undefined;
    } else if (w === '-I' || w === '--head') method = 'HEAD';
    else if (w === '-H' || w === '--header') {
      const h = i + 1 < end ? words[++i] : '';
      const colon = h.indexOf(':');
      const name = h.slice(0, colon).trim();
      const value = h.slice(colon + 1).trim();
      // Values with $ would be shell or secret references the runbook has not declared.
      if (colon > 0 && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) && !value.includes('$')) headers[name] = value;
    } else if (url === undefined && /^https?:\/\//.test(w)) url = w;
  }
  if (url === undefined) return undefined;
  return fromWhere(method, url, headers, `${method} ${url}`);
}

function fromWhere(method: 'GET' | 'HEAD', where: string, headers: Record<string, string>, label: string): ProposedHttpCheck | undefined {
  if (where.startsWith('/')) return { method, target: APP_TARGET.name, base: APP_TARGET.base, path: where, headers, label };
  const at = urlParts(where);
  return at && { method, target: at.target, base: at.base, path: at.path, headers, label };
}

type UrlParts = { target: string; base: string; path: string };

/** Runbooks name the same few URLs again and again: each is parsed once. */
const seenUrls = new Map<string, UrlParts | null>();

function urlParts(where: string): UrlParts | undefined {
  let parts = seenUrls.get(where);
  if (parts === undefined) {
    parts = parseUrl(where);
    if (seenUrls.size >= 1024) seenUrls.clear();
    seenUrls.set(where, parts);
  }
  return parts ?? undefined;
}

function parseUrl(where: string): UrlParts | null {
  if (where.includes('$') || where.includes('<')) return null;
  let u: URL;
  try {
    u = new URL(where);
  } catch {
    return null;
  }
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const target = `${u.hostname}-${port}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+/, '') || 'host';
  return { target, base: `${u.protocol}//${u.host}`, path: `${u.pathname}${u.search}` };
}

/**
 * A word or an operator of a line without quotes: what shellWords reads character by
 * character, read by one regex (a single `&` is part of a word; `&&`, `|`, `||`, `;`, `;;`,
 * `>`, `>>` are words of their own).
 */
const PLAIN_WORD = /&&|\|\||;;|>>|[|;>]|(?:[^ \t|;>&]|&(?!&))+/g;

/** Words of one shell command line: quotes removed, operators kept as their own words. */
export function shellWords(line: string): string[] {
  if (!line.includes("'") && !line.includes('"')) return line.match(PLAIN_WORD) ?? [];
  return quotedShellWords(line);
}

/** shellWords, character by character: for lines with quotes (and the tests' reference). */
export function quotedShellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  const flush = () => {
    if (has) out.push(cur);
    cur = '';
    has = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === ' ' || c === '\t') flush();
    else if (c === '|' || c === ';' || c === '>') {
      flush();
      out.push(line[i + 1] === c ? (i++, c + c) : c);
    } else if (c === '&' && line[i + 1] === '&') {
      flush();
      out.push('&&');
      i++;
    } else {
      cur += c;
      has = true;
    }
  }
  flush();
  return out;
}
