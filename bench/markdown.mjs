// Markdown runbook benchmark: loading a ~1 MB Markdown runbook (seed-like sections repeated:
// headings, task lists, nested numbered lists, GET lines, shell blocks, tables, notes) through
// loadRunbook (cut into sections, parse with remark, walk, validate, normalise), beside merely
// reading the file. Goal: under 200 ms, judged on the cold load: nothing cached, in a new
// process (what opening a runbook for the first time costs). Also shown, each labelled:
//   cold in this process   nothing cached, but the parser already warmed up by earlier loads
//   floor                  micromark's tokenizer alone on the same sections: no tree, no runbook
//   warm from disk         memory cleared, every section read from the on-disk pack (a reopen)
//   one section edited     as warm from disk, with one section changed (parsed again)
//   warm in memory         the same file loaded again by the same process
// Cold figures include writing the disk cache. Medians of several runs after one warm-up (the
// new-process cold figure: of fewer runs).
// load.ts is bundled with esbuild (as the ledger tests bundle the ledger), so this runs with
// plain node.
//
//   node bench/markdown.mjs
//   BENCH_MARKDOWN_RUNS=3 BENCH_MARKDOWN_BYTES=500000 node bench/markdown.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError, bundleModules, median, positiveInt, runAlone } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_MS = 200;

/** One realistic release section (Korean and English, as the seeds are). */
function section(i) {
  return `## ${i % 5 === 4 ? 'Post-deploy verification' : 'Pre-flight Check'} ${i}

Before release ${i}, confirm the following:

- [ ] Main branch green in CI (run ${i}).
- [ ] \`GET /health\` responds with \`ok: true\`.
- [ ] 운영 스코프 최소화 적용 확인 (RBAC ${i})
1. **Clock**: \`jobs/clock_guard.py\` 실행 → skew within SLA
2. Verify core user flows in production:
   - email link -> app landing
   - onboarding modal for new users

\`\`\`bash
# Ready
curl -sS http://localhost:8080/readyz | jq .

# Promote
pipeline/release/promote.sh --step ${i}
\`\`\`

| 상태 | 조치 |
|------|------|
| \`enabled: false\` | 정상, 다음 단계 진행 |
| \`enabled: true\` | **즉시 중단** |

> 🚫 **Do not** edit \`state/tickets/*.jsonl\` by hand.

`;
}

export async function benchMarkdown() {
  const runs = positiveInt('BENCH_MARKDOWN_RUNS', 5);
  const bytes = positiveInt('BENCH_MARKDOWN_BYTES', 1_000_000);
  const bundle = await bundleModules(
    'markdown',
    [
      "import './src/runbook/markdown/load.ts';",
      "export { loadRunbook } from './src/runbook/load.ts';",
      "export { sectionCache } from './src/runbook/markdown/cache.ts';",
      "export { normalizeSource, sectionsOf } from './src/runbook/markdown/parse.ts';",
      // The floor: micromark's tokenizer alone (with GFM and front matter), no tree, no runbook.
      "export { parse as micromark, postprocess, preprocess } from 'micromark';",
      "export { gfm } from 'micromark-extension-gfm';",
      "export { frontmatter } from 'micromark-extension-frontmatter';",
    ].join('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-md-'));
  const savedCacheHome = process.env.XDG_CACHE_HOME;
  try {
    const mod = await import(pathToFileURL(bundle).href);
    const { loadRunbook, sectionCache } = mod;
    const parts = ['# Generated cutover runbook\n\nA long runbook for the benchmark.\n\n'];
    let size = parts[0].length;
    for (let i = 0; size < bytes; i++) {
      const s = section(i);
      parts.push(s);
      size += Buffer.byteLength(s);
    }
    const file = join(dir, 'long.md');
    const original = parts.join('');
    writeFileSync(file, original);
    const mb = Buffer.byteLength(original) / 1e6;
    const lines = original.split('\n').length;

    const time = (fn) => {
      const t = performance.now();
      const out = fn();
      return { ms: performance.now() - t, out };
    };
    let cacheDirs = 0;
    /** A new, empty disk cache, and nothing in memory. */
    const emptyCache = () => {
      process.env.XDG_CACHE_HOME = join(dir, `cache-${++cacheDirs}`);
      sectionCache.clearMemory();
      return join(process.env.XDG_CACHE_HOME, 'opscockpit', 'markdown');
    };
    /** Runs fn and checks where the sections came from, so no figure is mislabelled. */
    const expectFrom = (what, want, fn) => {
      const r = fn();
      const last = sectionCache.last;
      for (const [k, v] of Object.entries(want)) {
        if (last[k] !== v) throw new BenchError(`${what}: expected ${k} = ${v} sections, got ${JSON.stringify(last)}`);
      }
      return r;
    };

    emptyCache();
    time(() => loadRunbook(file, {})); // warm-up
    const reads = [];
    const cold = [];
    const warmDisk = [];
    const edited = [];
    const warmMemory = [];
    const tokenize = [];
    let steps = 0;
    let sections = 0;
    const extensions = [mod.gfm(), mod.frontmatter(['yaml'])];
    const tokens = (text) => mod.postprocess(mod.micromark({ extensions }).document().write(mod.preprocess()(text, undefined, true)));
    for (let r = 0; r < runs; r++) {
      reads.push(time(() => readFileSync(file, 'utf8')).ms);
      tokenize.push(time(() => mod.sectionsOf(mod.normalizeSource(readFileSync(file, 'utf8'))).forEach((s) => tokens(s.text))).ms);
      const packDir = emptyCache();
      const c = expectFrom('cold', { memory: 0, disk: 0 }, () => time(() => loadRunbook(file, {})));
      cold.push(c.ms);
      steps = c.out.checklists.preflight.length + c.out.checklists.postflight.length;
      sections = sectionCache.last.sections;
      sectionCache.clearMemory();
      warmDisk.push(expectFrom('warm from disk', { parsed: 0, memory: 0 }, () => time(() => loadRunbook(file, {}))).ms);
      warmMemory.push(expectFrom('warm in memory', { parsed: 0, disk: 0 }, () => time(() => loadRunbook(file, {}))).ms);
      // One section edited: the pack still holds the original sections.
      const pack = join(packDir, readdirSync(packDir)[0]);
      const packBytes = readFileSync(pack);
      const middle = Math.floor(parts.length / 2) + r;
      writeFileSync(file, original.replace(`Before release ${middle},`, `Before release ${middle} (edited),`));
      sectionCache.clearMemory();
      edited.push(expectFrom('one section edited', { parsed: 1, memory: 0 }, () => time(() => loadRunbook(file, {}))).ms);
      writeFileSync(file, original);
      writeFileSync(pack, packBytes);
    }
    const fresh = coldInNewProcesses(bundle, file, dir, Math.min(runs, 3));
    const read = median(reads);
    const goal = median(fresh.loads);
    const row = (label, ms) => `    ${label.padEnd(62)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / read).toFixed(0).padStart(5)}× read`;
    return {
      lines: [
        `  ${mb.toFixed(2)} MB Markdown runbook, ${lines.toLocaleString('en')} lines, ${sections.toLocaleString('en')} heading sections parsed apart → ${steps.toLocaleString('en')} steps; median of ${runs}:`,
        `    baseline: read the file                                           ${read.toFixed(1).padStart(8)} ms`,
        row(`cold, nothing cached, new process (median of ${fresh.loads.length})`, goal),
        row('cold, nothing cached, parser warmed up by earlier loads', median(cold)),
        row('floor: micromark alone tokenizing the sections (no tree)', median(tokenize)),
        row('warm: every section from the disk cache (memory cleared)', median(warmDisk)),
        row('one section edited: it is parsed, the rest from disk', median(edited)),
        row('warm: the same file again, from memory', median(warmMemory)),
        `  load, cold in a new process (goal < ${GOAL_MS} ms): ${goal.toFixed(0)} ms: ${goal < GOAL_MS ? 'met' : 'NOT met'}`,
      ],
      loadMs: goal,
      readMs: read,
      coldMs: median(cold),
      warmDiskMs: median(warmDisk),
      editedMs: median(edited),
      warmMemoryMs: median(warmMemory),
      tokenizeMs: median(tokenize),
      steps,
    };
  } finally {
    if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = savedCacheHome;
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

/** The first load in a fresh node process, with an empty cache; the module import is not counted. */
function coldInNewProcesses(bundle, file, dir, n) {
  const script = `
    const { loadRunbook } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const t = performance.now();
    loadRunbook(${JSON.stringify(file)}, {});
    console.log(JSON.stringify({ ms: performance.now() - t }));`;
  const loads = [];
  for (let i = 0; i < n; i++) {
    const cache = join(dir, `fresh-${i}`);
    mkdirSync(cache);
    try {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, XDG_CACHE_HOME: cache }, encoding: 'utf8', timeout: 120_000 });
      loads.push(JSON.parse(out.trim().split('\n').pop()).ms);
    } catch (err) {
      throw new BenchError(`the new-process cold load failed: ${err.message}`);
    }
  }
  return { loads };
}

await runAlone(import.meta.url, 'markdown', benchMarkdown);
