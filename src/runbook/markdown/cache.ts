// Parsed sections, kept so that reopening a runbook (or reopening it after editing one
// section) parses only the sections whose text changed. An entry is a section's outline
// (outline.ts) keyed by the sha256 of its text. Entries live in memory for the process, and
// for long documents also on disk: one pack file per runbook path under
// $XDG_CACHE_HOME/opscockpit/markdown (else ~/.cache/opscockpit/markdown), written atomically
// (a temporary file renamed over the old one) and checked by its own sha256 when read. A pack
// that is unreadable, damaged or of another format is ignored and written anew.
// OPSCOCKPIT_MARKDOWN_CACHE=off turns the disk cache off.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { outlineCode, type OutlineBlock } from './outline.js';
import type { SourceSection } from './sections.js';

/**
 * Changes whenever an outline could change for the same text: the parser (named here; change
 * the name with it) and the code that makes outlines (its hash).
 */
let format: string | undefined;
const formatOf = () =>
  (format ??= `opscockpit-markdown-outline/3 remark-parse@11 remark-gfm@4 remark-frontmatter@5 ${createHash('sha256').update(outlineCode()).digest('hex').slice(0, 16)}`);

/** Shorter documents parse in a few milliseconds: a disk cache would not pay for itself. */
export const DISK_MIN_CHARS = 64 * 1024;

export interface SectionCacheOptions {
  /** Folder for pack files, asked on each use; undefined: memory only. */
  dir?: () => string | undefined;
  /** Memory bound, in characters of section text. */
  maxChars?: number;
  diskMinChars?: number;
}

interface Entry {
  blocks: OutlineBlock[];
  chars: number;
}

export class SectionCache {
  private readonly memory = new Map<string, Entry>();
  private chars = 0;
  /** Where the sections of the last document came from. */
  last = { sections: 0, memory: 0, disk: 0, parsed: 0 };
  /** Pack files known to hold a document's sections: file → signature of its section keys. */
  private readonly packs = new Map<string, string>();
  private readonly maxChars: number;
  private readonly diskMinChars: number;

  constructor(private readonly options: SectionCacheOptions = {}) {
    this.maxChars = options.maxChars ?? 32 * 1024 * 1024;
    this.diskMinChars = options.diskMinChars ?? DISK_MIN_CHARS;
  }

  /**
   * The outline of each section, from memory, from the file's pack on disk, or from `parse`
   * (then kept). `file` names the pack; without it only memory is used.
   */
  outlines(sections: readonly SourceSection[], file: string | undefined, parse: (index: number) => OutlineBlock[]): OutlineBlock[][] {
    const keys = sections.map(keyOf);
    const chars = sections.reduce((n, s) => n + s.text.length, 0);
    const dir = file !== undefined && chars >= this.diskMinChars ? this.options.dir?.() : undefined;
    const packFile = dir ? path.join(dir, `${createHash('sha256').update(path.resolve(file!)).digest('hex').slice(0, 32)}.pack`) : undefined;
    let pack: Map<string, OutlineBlock[]> | undefined;
    const last = (this.last = { sections: sections.length, memory: 0, disk: 0, parsed: 0 });
    const out = sections.map((s, i) => {
      const key = keys[i];
      const hit = this.memory.get(key);
      if (hit) {
        this.memory.delete(key); // most recently used last
        this.memory.set(key, hit);
        last.memory++;
        return hit.blocks;
      }
      if (packFile && pack === undefined) pack = readPack(packFile) ?? new Map();
      let blocks = pack?.get(key);
      if (blocks) last.disk++;
      else {
        blocks = parse(i);
        last.parsed++;
      }
      this.remember(key, blocks, s.text.length);
      return blocks;
    });
    if (packFile) {
      // The pack holds exactly this document's sections; it is written when it may not.
      const signature = createHash('sha256').update(keys.join('\n')).digest('hex');
      const current = this.packs.get(packFile) === signature || (last.parsed === 0 && pack !== undefined && sameKeys(pack, keys));
      if (!current) writePack(packFile, keys, out);
      this.packs.set(packFile, signature);
    }
    return out;
  }

  /** Forget every entry kept in memory (the disk cache stays). */
  clearMemory(): void {
    this.memory.clear();
    this.packs.clear();
    this.chars = 0;
  }

  private remember(key: string, blocks: OutlineBlock[], chars: number): void {
    if (chars > this.maxChars) return;
    this.memory.set(key, { blocks, chars });
    this.chars += chars;
    for (const [k, e] of this.memory) {
      if (this.chars <= this.maxChars) break;
      this.memory.delete(k);
      this.chars -= e.chars;
    }
  }
}

function sameKeys(pack: Map<string, unknown>, keys: readonly string[]): boolean {
  const unique = new Set(keys);
  return pack.size === unique.size && [...unique].every((k) => pack.has(k));
}

/** A section parses with the first line of the next one (parse.ts), so that line is in its key. */
function keyOf(section: SourceSection): string {
  const next = section.next === undefined ? 'last\n' : `next ${section.next}\n`;
  return createHash('sha256').update(next).update(section.text).digest('hex');
}

/** The pack's entries, or undefined when it is missing, damaged or of another format. */
function readPack(file: string): Map<string, OutlineBlock[]> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const nl = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, nl)) as { format?: unknown; sha256?: unknown };
    const body = text.slice(nl + 1);
    if (nl === -1 || header.format !== formatOf() || header.sha256 !== createHash('sha256').update(body).digest('hex')) return undefined;
    const entries = JSON.parse(body) as unknown;
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return undefined;
    const map = new Map<string, OutlineBlock[]>();
    for (const [k, v] of Object.entries(entries)) if (Array.isArray(v)) map.set(k, v as OutlineBlock[]);
    return map;
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only makes the next load slower. */
function writePack(file: string, keys: readonly string[], outlines: readonly OutlineBlock[][]): void {
  const entries: Record<string, OutlineBlock[]> = {};
  keys.forEach((k, i) => (entries[k] = outlines[i]));
  const body = JSON.stringify(entries);
  const header = JSON.stringify({ format: formatOf(), sha256: createHash('sha256').update(body).digest('hex') });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    // Runbook text may say more than it should: only the owner reads the cache.
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${header}\n${body}`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** $XDG_CACHE_HOME/opscockpit/markdown, else ~/.cache/opscockpit/markdown; undefined when off. */
export function markdownCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPSCOCKPIT_MARKDOWN_CACHE === 'off') return undefined;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.cache');
  return path.join(base, 'opscockpit', 'markdown');
}

/** The process's cache: memory, and disk for long documents. */
export const sectionCache = new SectionCache({ dir: () => markdownCacheDir() });
