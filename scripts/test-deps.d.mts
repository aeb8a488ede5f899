export interface NeededProgram {
  command: string;
  package: string;
  why: string;
  service?: boolean;
  find?: () => boolean;
}
export const NEEDED: readonly NeededProgram[];
export function missing(needs?: readonly NeededProgram[]): NeededProgram[];
export function cannotInstallLine(absent: readonly NeededProgram[]): string;
