// A SQLite ledger's subscribers hear of a commit when its files are written (a watch on their
// folder), not by reading the ledger four times a second: an idle cockpit reads nothing while
// nobody writes. Where the folder cannot be watched it polls as before, and a commit whose
// file event came before SQLite published it is still heard.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../adapters/ledger.js';
import { followChanges, POLL_MS, RETRY_MS, type ChangeFollower } from '../adapters/sqlite-changes.js';
import { cli } from './support/cli.js';
import { waitFor } from './support/cockpit.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const followers: ChangeFollower[] = [];
afterEach(() => followers.splice(0).forEach((f) => f.stop()));

function follow(file: string, token: () => string): { heard: number; reads: () => number; follower: ChangeFollower } {
  let reads = 0;
  const out = {
    heard: 0,
    reads: () => reads,
    follower: followChanges(file, () => (reads++, token()), () => void out.heard++),
  };
  followers.push(out.follower);
  return out;
}

describe('following a SQLite ledger', () => {
  it("hears another process's commit through the watch, and reads nothing while nobody writes", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sqlite-changes-')), 'ledger.db');
    const ledger = openLedger(file);
    try {
      const f = follow(file, () => ledger.changeToken());
      expect(f.follower.watched).toBe(true);
      const stop = await cli(['stop', 'on', '--reason', 'watch test', '--ledger', file]);
      expect(stop.code).toBe(0);
      await waitFor(() => f.heard === 1, 'the commit heard', 3000);
      await pause(RETRY_MS.reduce((a, b) => a + b, 0) + 100); // the reads after the commit's events
      // Quiet: polling would read the ledger every POLL_MS; the watch reads it only when written.
      const before = f.reads();
      await pause(POLL_MS * 4);
      expect(f.reads()).toBe(before);
      expect(f.heard).toBe(1);
    } finally {
      ledger.close();
    }
  });

  it('polls where the folder cannot be watched', async () => {
    let token = 'a';
    const f = follow(join(tmpdir(), 'no-such-folder-' + process.pid, 'ledger.db'), () => token);
    expect(f.follower.watched).toBe(false);
    await pause(POLL_MS * 3);
    expect(f.reads()).toBeGreaterThanOrEqual(3);
    token = 'b';
    await waitFor(() => f.heard === 1, 'the change polled', 2000);
  });

  it('hears a commit published after its file event: it reads again a little later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-changes-'));
    const file = join(dir, 'ledger.db');
    let token = 'a';
    const f = follow(file, () => token);
    appendFileSync(`${file}-wal`, 'frames'); // the WAL written; the commit not visible yet
    await pause(RETRY_MS[0] + 20);
    expect(f.heard).toBe(0);
    token = 'b'; // published, with no further file event
    await waitFor(() => f.heard === 1, 'the change read on a later try', 2000);
    // Another file in the folder is not the ledger's.
    const reads = f.reads();
    appendFileSync(join(dir, 'notes.txt'), 'x');
    await pause(100);
    expect(f.reads()).toBe(reads);
  });

  it('hears a second commit of a burst, published after a read found the first', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sqlite-changes-')), 'ledger.db');
    let token = 'a';
    const f = follow(file, () => token);
    token = 'b';
    appendFileSync(`${file}-wal`, 'first'); // the first commit, visible at once
    await waitFor(() => f.heard === 1, 'the first commit', 2000);
    token = 'c'; // the second, published after that read, with no event of its own
    await waitFor(() => f.heard === 2, 'the second commit on a later read', 2000);
  });

  it('watches the folder a symbolic link points to, where SQLite writes the WAL', async () => {
    const real = join(mkdtempSync(join(tmpdir(), 'sqlite-changes-real-')), 'ledger.db');
    const link = join(mkdtempSync(join(tmpdir(), 'sqlite-changes-link-')), 'ledger.db');
    const writer = openLedger(real);
    const run = writer.startRun({ runbook: '/rb.yaml', name: 'linked' }, Date.now());
    symlinkSync(real, link);
    const ledger = openLedger(link);
    try {
      const f = follow(link, () => ledger.changeToken());
      // An ordinary commit on another connection: it writes only the WAL, beside the real file.
      writer.append(run.runId, 'bo', { kind: 'step.note', phase: 'postflight', step: 's', note: 'hello' }, Date.now());
      // Well before the safety read (SAFETY_MS): the watch heard it.
      await waitFor(() => f.heard === 1, 'the commit heard through the link', 3000);
    } finally {
      ledger.close();
      writer.close();
    }
  });

  it('stops when the ledger is closed under it, and stop is idempotent', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sqlite-changes-')), 'ledger.db');
    const ledger = openLedger(file);
    const f = follow(file, () => ledger.changeToken());
    ledger.close();
    appendFileSync(`${file}-wal`, 'x'); // an event: its read throws, and following stops
    await pause(100);
    const reads = f.reads();
    appendFileSync(`${file}-wal`, 'y');
    await pause(100);
    expect(f.reads()).toBe(reads);
    f.follower.stop();
    f.follower.stop();
    expect(f.follower.watched).toBe(false);
  });
});
