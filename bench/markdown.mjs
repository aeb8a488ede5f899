// Markdown runbook benchmark: loading a ~1 MB Markdown runbook (seed-like sections repeated:
// headings, task lists, nested numbered lists, GET lines, shell blocks, tables, notes) through
// loadRunbook (parse with remark, walk, validate, normalise), beside merely reading the file.
// Median of several runs after one warm-up. Goal: under 200 ms.
// load.ts is bundled with esbuild (as the ledger tests bundle the ledger), so this runs with
// plain node.
//
//   node bench/markdown.mjs
//   BENCH_MARKDOWN_RUNS=3 BENCH_MARKDOWN_BYTES=500000 node bench/markdown.mjs
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError, bundleModules, median, positiveInt } from './lib.mjs';

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
  const bundle = await bundleModules('markdown', "import './src/runbook/markdown/load.ts';\nexport { loadRunbook } from './src/runbook/load.ts';\n");
  const dir = mkdtempSync(join(tmpdir(), 'opscockpit-bench-md-'));
  try {
    const { loadRunbook } = await import(pathToFileURL(bundle).href);
    const parts = ['# Generated cutover runbook\n\nA long runbook for the benchmark.\n\n'];
    let size = parts[0].length;
    for (let i = 0; size < bytes; i++) {
      const s = section(i);
      parts.push(s);
      size += Buffer.byteLength(s);
    }
    const file = join(dir, 'long.md');
    writeFileSync(file, parts.join(''));
    const text = readFileSync(file, 'utf8');
    const mb = Buffer.byteLength(text) / 1e6;
    const lines = text.split('\n').length;

    const time = (fn) => {
      const t = performance.now();
      const out = fn();
      return { ms: performance.now() - t, out };
    };
    time(() => loadRunbook(file, {})); // warm-up
    const loads = [];
    const reads = [];
    let steps = 0;
    for (let r = 0; r < runs; r++) {
      reads.push(time(() => readFileSync(file, 'utf8')).ms);
      const { ms, out } = time(() => loadRunbook(file, {}));
      loads.push(ms);
      steps = out.checklists.preflight.length + out.checklists.postflight.length;
    }
    const load = median(loads);
    const read = median(reads);
    return {
      lines: [
        `  ${mb.toFixed(2)} MB Markdown runbook, ${lines.toLocaleString('en')} lines, ${parts.length - 1} sections → ${steps.toLocaleString('en')} steps; median of ${runs}:`,
        `    loadRunbook (remark parse, walk, validate, normalise)  ${load.toFixed(0)} ms`,
        `    baseline: read the file                                 ${read.toFixed(1)} ms`,
        `  load (goal < ${GOAL_MS} ms): ${load.toFixed(0)} ms: ${load < GOAL_MS ? 'met' : 'NOT met'}`,
      ],
      loadMs: load,
      readMs: read,
      steps,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const r = await benchMarkdown();
    console.log(r.lines.join('\n'));
  } catch (err) {
    console.error(`bench markdown: ${err instanceof BenchError ? err.message : err?.stack ?? err}`);
    process.exitCode = 1;
  }
}
