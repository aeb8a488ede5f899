import type { Plugin } from 'esbuild';

/** The characters `stringWidth` counts as one column, as a regex class body. */
export function narrowClass(stringWidth: (text: string) => number): string;
/** The test a wrapper makes of a text: printable ASCII and the narrow characters only. */
export function narrowPattern(body: string): RegExp;
/** The wrapper's source for the string-width module at `realPath`. */
export function narrowWidthModule(realPath: string): Promise<string>;
/** The string-width modules the plugin has wrapped in this process. */
export const wrappedModules: Set<string>;
/** The esbuild plugin. */
export const narrowWidth: Plugin;
