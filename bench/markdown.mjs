// Markdown runbook benchmark: loading a ~1 MB Markdown runbook (seed-like sections repeated:
// headings, task lists, nested numbered lists, GET lines, shell blocks, tables, notes) through
// loadRunbook (parse with satteri, read the outline from its tree with the native addon, walk,
// validate, normalise), beside merely reading the file. Goal: under 200 ms, judged on the cold
// load: in a new process (what opening a runbook for the first time costs; the module import
// is not counted). Also shown, each labelled:
//   without the addon      the same cold load with OPSCOCKPIT_NATIVE=off (the outline read in
//                          JavaScript), and checked to give the same runbook
//   warm                   the same file loaded again by the same process
//   floor                  satteri's parse alone: the tree built in native memory, nothing read
//   remark                 the parser used where satteri cannot load, nothing cached (one run)
// load.ts is bundled with esbuild (as the ledger tests bundle the ledger), so this runs with
// plain node.
//
//   node bench/markdown.mjs
//   BENCH_MARKDOWN_RUNS=3 BENCH_MARKDOWN_BYTES=500000 node bench/markdown.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchError, bundleModules, median, positiveInt, runAlone } from './lib.mjs';

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
      "export { markdownToDocument, parseMarkdownRunbook } from './src/runbook/markdown/load.ts';",
      "export { nativeParser, PARSE_OPTIONS } from './src/runbook/markdown/native.ts';",
      "export { loadRunbook } from './src/runbook/load.ts';",
      "export { normalizeSource } from './src/runbook/markdown/parse.ts';",
    ].join('\n'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-md-'));
  const savedCache = process.env.OPSCOCKPIT_MARKDOWN_CACHE;
  try {
    const mod = await import(pathToFileURL(bundle).href);
    const { loadRunbook, parseMarkdownRunbook } = mod;
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
    const fresh = coldInNewProcesses(bundle, file, dir, runs);
    const plain = coldInNewProcesses(bundle, file, dir, runs, { OPSCOCKPIT_NATIVE: 'off' });
    if (plain.digest !== fresh.digest) throw new BenchError('without the addon the runbook loaded differently');
    const reads = [];
    const warm = [];
    const floor = [];
    let steps = 0;
    time(() => loadRunbook(file, {})); // warm-up
    for (let r = 0; r < runs; r++) {
      reads.push(time(() => readFileSync(file, 'utf8')).ms);
      const w = time(() => loadRunbook(file, {}));
      warm.push(w.ms);
      steps = w.out.checklists.preflight.length + w.out.checklists.postflight.length;
      const source = mod.normalizeSource(readFileSync(file, 'utf8'));
      const satteri = mod.nativeParser();
      floor.push(time(() => satteri.dropHandle(satteri.createMdastHandle(source, mod.PARSE_OPTIONS, true))).ms);
    }
    // The fallback, without its section cache: what every load cost before the native parser.
    process.env.OPSCOCKPIT_MARKDOWN_CACHE = 'off';
    const remark = time(() => parseMarkdownRunbook(readFileSync(file, 'utf8'), file, {}, { parser: 'remark', cache: false }));
    const remarkSteps = remark.out.checklists.preflight.length + remark.out.checklists.postflight.length;
    if (remarkSteps !== steps) throw new BenchError(`remark read ${remarkSteps} steps where satteri read ${steps}`);
    const read = median(reads);
    const goal = median(fresh.loads);
    const row = (label, ms) => `    ${label.padEnd(62)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / read).toFixed(0).padStart(5)}× read`;
    return {
      lines: [
        `  ${mb.toFixed(2)} MB Markdown runbook, ${lines.toLocaleString('en')} lines → ${steps.toLocaleString('en')} steps; median of ${runs}:`,
        `    baseline: read the file                                           ${read.toFixed(1).padStart(8)} ms`,
        row(`cold, new process (median of ${fresh.loads.length})`, goal),
        row('  the same without the addon (OPSCOCKPIT_NATIVE=off)', median(plain.loads)),
        row('warm: the same file again, in the same process', median(warm)),
        row('floor: satteri parsing alone (nothing read out of the tree)', median(floor)),
        row('remark (where satteri cannot load), nothing cached, one run', remark.ms),
        `  load, cold in a new process (goal < ${GOAL_MS} ms): ${goal.toFixed(0)} ms: ${goal < GOAL_MS ? 'met' : 'NOT met'}`,
      ],
      loadMs: goal,
      plainMs: median(plain.loads),
      readMs: read,
      warmMs: median(warm),
      floorMs: median(floor),
      remarkMs: remark.ms,
      steps,
    };
  } finally {
    if (savedCache === undefined) delete process.env.OPSCOCKPIT_MARKDOWN_CACHE;
    else process.env.OPSCOCKPIT_MARKDOWN_CACHE = savedCache;
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

/**
 * The first load in a fresh node process, with an empty cache; the module import is not
 * counted. Also a digest of the runbook loaded (after the timing), to compare two ways of loading.
 */
function coldInNewProcesses(bundle, file, dir, n, env = {}) {
  const script = `
    const { loadRunbook, markdownToDocument } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const { readFileSync } = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const t = performance.now();
    const runbook = loadRunbook(${JSON.stringify(file)}, {});
    const ms = performance.now() - t;
    // Which parser read it (after the timing): a fallback to remark would be another figure.
    const parser = markdownToDocument(readFileSync(${JSON.stringify(file)}, 'utf8'), ${JSON.stringify(file)}).parser;
    const digest = createHash('sha256').update(JSON.stringify(runbook)).digest('hex');
    console.log(JSON.stringify({ ms, parser, digest }));`;
  const loads = [];
  const digests = new Set();
  for (let i = 0; i < n; i++) {
    const cache = join(dir, `fresh-${Object.keys(env).length}-${i}`);
    mkdirSync(cache);
    try {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env, XDG_CACHE_HOME: cache }, encoding: 'utf8', timeout: 120_000 });
      const r = JSON.parse(out.trim().split('\n').pop());
      if (r.parser !== 'satteri') throw new BenchError(`the new process read the runbook with ${r.parser}, not satteri`);
      loads.push(r.ms);
      digests.add(r.digest);
    } catch (err) {
      throw new BenchError(`the new-process cold load failed: ${err.message}`);
    }
  }
  if (digests.size !== 1) throw new BenchError('the same runbook loaded differently from run to run');
  return { loads, digest: [...digests][0] };
}

await runAlone(import.meta.url, 'markdown', benchMarkdown);
