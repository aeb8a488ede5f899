/** An import statement at the top of an esbuild output file: its span, its `{ … }` list, its path. */
export interface LeadingImport { start: number; end: number; names: string | undefined; from: string }
/** The import statements at the top of `text`, after `banner` when the text starts with it. */
export function leadingImports(text: string, banner?: string): LeadingImport[];
/** Merges `dir/entry` and the output files it imports statically into one file. */
export function mergeMain(dir: string, opts: { entry: string; banner: string; external: string[] }): Promise<{ merged: number }>;
