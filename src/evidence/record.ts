// Evidence files on disk and their record in the ledger: atomic writes, versions, WIP →
// LOCKED, and tamper checks. Needs no schema library, so `harvest` loads quickly; reading an
// evidence file for judging (checked against its schema) is store.ts. The ledger is the authority. Every write appends an
// `evidence.recorded` event holding the file's sha256, version and state. The next version
// comes from the ledger's last event for that path (across runs), never from the file,
// because the file is the thing that may have been edited.
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { EvidenceDoc } from '../engine/gate-types.js';
import type { LedgerPort } from '../engine/ports.js';
import type { LedgerStore } from '../engine/ledger-store.js';
import type { EventBody, LedgerEvent } from '../engine/types.js';
import { EvidenceError } from './columns.js';

export type EvidenceRecorded = Extract<EventBody, { kind: 'evidence.recorded' }>;
export type EvidenceTampered = Extract<EventBody, { kind: 'evidence.tampered' }>;
export type EvidenceEvent = LedgerEvent & { body: EvidenceRecorded | EvidenceTampered };

export interface EvidenceWrite {
  path: string; // absolute
  version: number;
  state: 'WIP' | 'LOCKED';
  sha256: string;
  doc: EvidenceDoc;
  /** Where the previous LOCKED version was kept, when this write replaced it. */
  archived?: string;
  /** Things the operator should know that did not stop the write (e.g. a tampered WIP file). */
  warnings: string[];
}

export interface EvidenceCheck {
  tampered: boolean;
  expected: string | null; // last recorded sha256; null when the path was never recorded
  actual: string | null; // sha256 of the file now; null when it is missing
  version?: number;
  state?: 'WIP' | 'LOCKED';
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of a file's bytes; null when there is no file. */
export function sha256File(path: string): string | null {
  const bytes = readIfThere(path);
  return bytes && sha256(bytes);
}

function readIfThere(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw new EvidenceError(`${path}: cannot read it: ${(err as Error).message}`, { cause: err });
  }
}

/** The bytes an evidence document is stored as (stable key order, trailing newline). */
export function serializeEvidence(doc: EvidenceDoc): string {
  const { schema, kind, source, window_ms, state, version, overall, windows, routes, ...rest } = doc;
  return JSON.stringify({ schema, kind, source, window_ms, state, version, overall, windows, routes, ...rest }, null, 2) + '\n';
}

/**
 * Write bytes so that readers see the old file or the new one, never half of one: a temp
 * file in the same folder, fsync, rename over the target, fsync the folder. `sync` false: the
 * same without the fsyncs (still never half a file; a crash may leave the old one).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, modes: { file: number; dir: number } = { file: 0o644, dir: 0o755 }, sync = true): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: modes.dir });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', modes.file);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* already renamed or never created */
    }
    throw new EvidenceError(`cannot write evidence ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!sync) return;
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems cannot fsync a folder; the rename itself has happened */
  }
}

/**
 * Every evidence event in the ledger, oldest first (by time, then run, then seq), optionally for
 * one path: the ledger's own indexed lookup (adapters/ledger-evidence.ts), on either interface.
 */
export function evidenceEvents(ledger: LedgerPort, path?: string): EvidenceEvent[] {
  return ledger.evidenceEvents(path === undefined ? undefined : resolve(path)) as EvidenceEvent[];
}

const lastOf = (events: readonly LedgerEvent[]) => events.filter((e) => e.body.kind === 'evidence.recorded').at(-1)?.body as EvidenceRecorded | undefined;

export function lastRecorded(ledger: LedgerPort, path: string): EvidenceRecorded | undefined {
  return lastOf(evidenceEvents(ledger, path));
}

/** Recompute the file's sha256 and compare it with the last one the ledger recorded for it. */
export function verifyEvidence(ledger: LedgerPort, path: string): EvidenceCheck {
  return compared(lastRecorded(ledger, path), path);
}

/** verifyEvidence against a ledger store (a gate check in a session, on either backend). */
export async function verifyEvidenceIn(ledger: LedgerStore, path: string): Promise<EvidenceCheck> {
  return compared(lastOf(await ledger.evidenceEvents(resolve(path))), path);
}

function compared(last: EvidenceRecorded | undefined, path: string): EvidenceCheck {
  const actual = sha256File(resolve(path));
  if (!last) return { tampered: false, expected: null, actual };
  return { tampered: actual !== last.sha256, expected: last.sha256, actual, version: last.version, state: last.state };
}

/** `latest.json` v3 → `latest-v3.json` beside it: where a LOCKED version is kept once replaced. */
export function archivePath(path: string, version: number): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}-v${version}${ext}`);
}

const short = (h: string | null) => (h ? h.slice(0, 12) : 'missing');

/**
 * Write `doc` to `path` as the next WIP version and record it. A fresh document (no version)
 * becomes last version + 1. A document carrying its version may rewrite that version only
 * while it is WIP. A LOCKED version is never rewritten: it is kept as `<name>-v<N>.json`
 * (recorded under that path too) and the new harvest takes its place as v<N+1>.
 */
export function recordEvidence(ledger: LedgerPort, runId: string, operator: string, path: string, doc: EvidenceDoc, at: number): EvidenceWrite {
  const file = resolve(path);
  const history = evidenceEvents(ledger, file).filter((e) => e.body.kind === 'evidence.recorded').map((e) => e.body as EvidenceRecorded);
  const last = history.at(-1);
  const next = (last?.version ?? 0) + 1;
  const version = doc.version ?? next;
  if (version !== next) {
    const locked = history.some((h) => h.version === version && h.state === 'LOCKED');
    if (locked) throw new EvidenceError(`evidence v${version} is LOCKED; a new harvest makes v${next}`);
    if (version !== last?.version)
      throw new EvidenceError(`evidence ${path} is at v${last?.version ?? 0}; leave the version out to write v${next}`);
  }

  const warnings: string[] = [];
  let archived: string | undefined;
  if (last) {
    const actual = sha256File(file);
    if (actual !== last.sha256) {
      ledger.append(runId, operator, { kind: 'evidence.tampered', path: file, expected: last.sha256, actual }, at, { durable: true });
      if (last.state === 'LOCKED' && actual !== null)
        throw new EvidenceError(
          `evidence ${path} v${last.version} is LOCKED but changed since (sha256 ${short(last.sha256)}… recorded, ${short(actual)}… now); ` +
            'it is left as it is: restore the locked copy or move the file aside, then harvest again',
        );
      warnings.push(`evidence ${path} v${last.version} ${actual ? 'changed' : 'went missing'} since it was recorded (recorded as tampered)`);
    } else if (last.state === 'LOCKED') {
      archived = keepLocked(ledger, runId, operator, file, last, at);
    }
  }

  const written = writeRecorded(ledger, runId, operator, file, { ...doc, state: 'WIP', version }, at);
  return { ...written, archived, warnings };
}

function keepLocked(ledger: LedgerPort, runId: string, operator: string, file: string, last: EvidenceRecorded, at: number): string {
  const target = archivePath(file, last.version);
  if (existsSync(target) && sha256File(target) !== last.sha256)
    throw new EvidenceError(`cannot keep LOCKED v${last.version} as ${target}: a different file is already there; move it aside`);
  try {
    renameSync(file, target);
  } catch (err) {
    throw new EvidenceError(`cannot keep LOCKED v${last.version} as ${target}: ${(err as Error).message}`, { cause: err });
  }
  ledger.append(runId, operator, { kind: 'evidence.recorded', path: target, sha256: last.sha256, version: last.version, state: 'LOCKED', samples: last.samples }, at, {
    durable: true,
  });
  return target;
}

function writeRecorded(ledger: LedgerPort, runId: string, operator: string, file: string, doc: EvidenceDoc & { state: 'WIP' | 'LOCKED'; version: number }, at: number) {
  const bytes = Buffer.from(serializeEvidence(doc));
  writeFileAtomic(file, bytes);
  const hash = sha256(bytes);
  ledger.append(runId, operator, { kind: 'evidence.recorded', path: file, sha256: hash, version: doc.version, state: doc.state, samples: doc.overall.samples }, at, {
    durable: true,
  });
  return { path: file, version: doc.version, state: doc.state, sha256: hash, doc };
}

/**
 * WIP → LOCKED: rewrite the recorded version once with state LOCKED, record the new hash and
 * make the file read-only. Refused when the file no longer matches the ledger. Locking a
 * LOCKED version again changes nothing.
 */
export function lockEvidence(ledger: LedgerPort, runId: string, operator: string, path: string, at: number): EvidenceWrite {
  const file = resolve(path);
  const last = lastRecorded(ledger, file);
  if (!last) throw new EvidenceError(`evidence ${path} is not in the ledger; harvest it first`);
  const bytes = readIfThere(file);
  const actual = bytes && sha256(bytes);
  if (actual !== last.sha256) {
    ledger.append(runId, operator, { kind: 'evidence.tampered', path: file, expected: last.sha256, actual }, at, { durable: true });
    throw new EvidenceError(
      `evidence ${path} v${last.version} ${actual ? 'changed' : 'went missing'} since it was recorded (sha256 ${short(last.sha256)}… recorded, ${short(actual)}… now); harvest again before locking`,
    );
  }
  // The very bytes recordEvidence wrote (the hash says so): no schema check needed.
  const doc = JSON.parse(bytes!.toString('utf8')) as EvidenceDoc;
  if (last.state === 'LOCKED') return { path: file, version: last.version, state: 'LOCKED', sha256: last.sha256, doc, warnings: [] };
  const written = writeRecorded(ledger, runId, operator, file, { ...doc, state: 'LOCKED', version: last.version }, at);
  try {
    chmodSync(file, 0o444); // a guard against editing by hand, not a security boundary
  } catch {
    /* the hash in the ledger is the real protection */
  }
  return { ...written, warnings: [] };
}
