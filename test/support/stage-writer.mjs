// Child process for the stage-file crash test: the real adapter (bundled by the test with
// esbuild, since plain node cannot import the TS sources) rewriting the stage in a tight loop
// until the test kills it with SIGKILL. Keys come from OPSCOCKPIT_STAGE_KEYS like in production.
// Usage: node stage-writer.mjs <bundle.mjs> <stage.json> <first-count>
// Write i stores stage STAGES[i % 3] by "writer-<i>", so the reader can check the pair
// belongs to one write. Prints "ready" after the first write has landed.
import { pathToFileURL } from 'node:url';

const STAGES = ['canary', 'promoted', 'stable'];
const [bundle, file, first] = process.argv.slice(2);
const { loadStageKeys, writeStage } = await import(pathToFileURL(bundle).href);
const keys = loadStageKeys(process.env);
let i = Number(first);
writeStage(file, STAGES[i % 3], `writer-${i}`, keys, Date.now());
process.stdout.write('ready\n');
for (;;) {
  i++;
  writeStage(file, STAGES[i % 3], `writer-${i}`, keys, Date.now());
}
