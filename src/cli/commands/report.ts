// `opscockpit report RUN_ID --release-notes | --timeline`: a run's release notes (seed 004's
// template) or its incident timeline in Markdown, from the ledger.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LedgerError } from '../../../adapters/ledger.js';
import { releaseNotes } from '../../report/release-notes.js';
import { timelineMarkdown } from '../../report/timeline.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../main.js';
import { findRun, ledgerLocation, openForReading } from './ledger-browse.js';
import { collect } from '../../../adapters/ledger-reader.js';

export async function reportCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('report', args, {
    'release-notes': { type: 'boolean' },
    timeline: { type: 'boolean' },
    out: { type: 'string' },
    ledger: { type: 'string' },
    runbook: { type: 'string' },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one RUN_ID' : 'missing RUN_ID (`opscockpit ledger list` shows them; "last" is the newest)', 'report');
  const notes = values['release-notes'] === true;
  const timeline = values.timeline === true;
  if (notes === timeline) throw new UsageError(notes ? 'give --release-notes or --timeline, not both' : 'say which report: --release-notes or --timeline', 'report');
  const ledger = await openForReading(ledgerLocation(values, io.env, 'report'), io);
  const path = ledger.location;
  let text: string;
  try {
    const q = ledger.browser;
    const run = await findRun(q, positionals[0], path);
    const events = await collect(q.events(run.runId));
    text = notes ? releaseNotes(run, events, await q.previousRelease(run)) : timelineMarkdown(run, events, path);
  } finally {
    await ledger.close();
  }
  if (values.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  const out = resolve(values.out);
  try {
    writeFileSync(out, text);
  } catch (err) {
    throw new LedgerError(`cannot write ${out}: ${(err as Error).message}`);
  }
  io.stderr.write(`${notes ? 'release notes' : 'timeline'} of run ${positionals[0]} written to ${out}\n`);
  return 0;
}
