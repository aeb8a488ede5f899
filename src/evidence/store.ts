// Evidence files for judging: the record in the ledger (record.ts) plus reading a file back
// checked against the evidence schema (evidence-file.ts).
import type { EvidenceDoc } from '../engine/gate-types.js';
import { loadEvidence } from './evidence-file.js';

export * from './record.js';

/** The evidence document at `path`, validated (see evidence-file.ts). */
export function readEvidence(path: string): EvidenceDoc {
  return loadEvidence(path).doc;
}
