export interface FigureInput {
  figure: string;
  value: number;
  unit: string;
  baseline?: { value: number; what: string } | null;
  ratio?: number | null;
  goal?: string | null;
  met?: boolean | null;
}
export interface FigureRecord {
  figure: string;
  value: number;
  unit: string;
  baseline: { value: number; what: string } | null;
  ratio: number | null;
  goal: string | null;
  met: boolean | null;
}
export const START: string;
export const END: string;
export function figureRecord(input: FigureInput): FigureRecord;
export function machineName(): string;
export function runDate(at?: Date): string;
export function figureRow(rec: FigureRecord, where: { date: string; machine: string }): string[];
export function rewriteTable(doc: string, records: readonly FigureRecord[], opts: { date: string; machine: string; replaceAll: boolean }): string;
export function writeFigures(file: string, records: readonly FigureRecord[], opts: { replaceAll: boolean; at?: Date }): void;
