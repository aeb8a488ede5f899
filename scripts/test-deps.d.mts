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
/** initdb of any PostgreSQL major version under root (Debian's /usr/lib/postgresql), or on PATH. */
export function postgresInstalled(root?: string): boolean;
