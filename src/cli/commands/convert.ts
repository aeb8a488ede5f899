// `opscockpit convert`: a Markdown runbook printed (or written) as the equivalent YAML
// runbook, checked with the YAML loader before anything is written.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRunbook } from '../../runbook/load.js';
import { RunbookError } from '../../runbook/errors.js';
import { readRunbookText } from '../../runbook/read-file.js';
import { toYaml } from '../../runbook/markdown/convert.js';
import { MARKDOWN_EXTENSIONS, markdownToDocument } from '../../runbook/markdown/load.js';
import { UsageError } from '../errors.js';
import type { Io } from '../main.js';
import { convertHelp } from './convert-help.js';

export { convertHelp };

export async function convertCommand(args: string[], io: Io): Promise<number> {
  try {
    return runConvert(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`opscockpit convert: ${err.message}\nUsage: ${convertHelp.usage}\n`);
      return 1;
    }
    if (err instanceof RunbookError) {
      io.stderr.write(`${err.format()}\n`);
      return 1;
    }
    throw err;
  }
}

function runConvert(args: string[], io: Io): number {
  let values: { out?: string; force?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, force: { type: 'boolean' } } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (positionals.length !== 1) throw new UsageError('name one Markdown runbook');
  const file = positionals[0];
  if (!MARKDOWN_EXTENSIONS.test(file)) throw new UsageError(`${file} is not a Markdown runbook (.md or .markdown)`);
  const text = readRunbookText(file);
  const { document } = markdownToDocument(text, file);
  const yaml = toYaml(document, { file });
  const out = values.out === undefined ? undefined : resolve(values.out);
  // The YAML loader must accept what we print; anchor relative paths where it will live.
  parseRunbook(yaml, out ?? resolve(file).replace(MARKDOWN_EXTENSIONS, '.yaml'), io.env);
  if (!out) {
    io.stdout.write(yaml);
    return 0;
  }
  if (out === resolve(file)) throw new UsageError(`--out ${values.out} is the Markdown runbook itself; write the YAML to another file`);
  if (existsSync(out) && !statSync(out).isFile()) throw new UsageError(`--out ${values.out} is not a regular file`);
  if (existsSync(out) && !values.force) throw new UsageError(`${values.out} exists; add --force to overwrite it`);
  try {
    writeFileSync(out, yaml);
  } catch (e) {
    throw new UsageError(`cannot write ${values.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.stderr.write(`wrote ${values.out}\n`);
  return 0;
}
