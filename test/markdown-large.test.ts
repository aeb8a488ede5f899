// The largest realistic Markdown runbook (a platform team's 70 KB upgrade reference) through
// the built binary: it loads, it reads to the outline it reads to today (so a change in the
// reading is noticed here), and the cockpit opened on it keeps its header on a 120x40 screen.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bin, cli, root } from './support/cli.js';
import { Tmux } from './support/tmux.js';

const RUNBOOK = join(root, 'fixtures', 'runbooks', 'markdown', 'platform-upgrade-reference.md');
const NAME = 'Kestrel platform 4.12 → 5.0 upgrade reference';

interface Step {
  id: string;
  title: string;
  manual?: boolean;
  check?: { http?: { target: string; path: string; method?: string }; script?: unknown };
}

let tmux: Tmux | undefined;
afterEach(() => tmux?.kill());

describe('the large Markdown reference runbook', () => {
  it('is a realistic size: over 60 KB and 900 lines', () => {
    expect(statSync(RUNBOOK).size).toBeGreaterThan(60_000);
    expect(readFileSync(RUNBOOK, 'utf8').split('\n').length).toBeGreaterThan(900);
  });

  it('validates through the binary', async () => {
    const r = await cli(['validate', RUNBOOK]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${RUNBOOK}: valid — 59 checks, 89 steps, 1 actions`);
  });

  it('reads to the outline it reads to today: phases, sections, steps and the HTTP checks found', async () => {
    const r = await cli(['convert', RUNBOOK]);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { name: string; targets: Record<string, string>; checklists: Record<string, Step[]> };
    expect(doc.name).toBe(NAME);
    expect(Object.keys(doc.checklists)).toEqual(['preflight', 'postflight']);
    const count = (steps: Step[]) => ({
      steps: steps.length,
      sections: new Set(steps.map((s) => s.id.replace(/-\d+$/, ''))).size,
      http: steps.filter((s) => s.check?.http).length,
      script: steps.filter((s) => s.check?.script).length,
      manual: steps.filter((s) => s.manual).length,
    });
    // Prompted sessions in unlabelled and console fences run their commands; note bullets
    // (versions, links, "See …") are notes; the Roll-back and downgrade part is the rollback
    // action; online and offline upgrade are a choice (validate walks the first: 89 steps).
    // Troubleshooting, the appendices and the FAQ are notes: none of their blocks is a step.
    expect(count(doc.checklists.preflight)).toEqual({ steps: 86, sections: 21, http: 3, script: 56, manual: 27 });
    // The smoke block (`curl … | jq .`, `| jq -r .version`, `curl -I … | head -1`) shows what it reads: one block the operator runs, not three checks.
    expect(count(doc.checklists.postflight)).toEqual({ steps: 23, sections: 7, http: 5, script: 5, manual: 13 });
    const d = doc as unknown as { choices: { name: string; options: { name: string; steps: string[] }[] }[]; actions: { rollback: { title: string; script: { args: string[] } } } };
    expect(d.choices.map((c) => [c.name, c.options.map((o) => `${o.name}:${o.steps.length}`)])).toEqual([['choice', ['online-upgrade-rolling:27', 'offline-upgrade-maintenance-window:20']]]);
    expect(d.actions.rollback.title).toBe('Roll-back and downgrade');
    expect(d.actions.rollback.script.args[1]).toContain('helm -n ingress-internal rollback ingress-internal');
    const http = (steps: Step[]) => steps.flatMap((s) => (s.check?.http ? [`${s.check.http.method ?? 'GET'} ${s.check.http.target}${s.check.http.path}`] : []));
    expect(http(doc.checklists.preflight)).toEqual([
      'GET api-eu1-kestrel-example-443/health',
      'GET api-eu1-kestrel-example-443/health',
      'GET api-eu1-kestrel-example-443/internal/version',
    ]);
    expect(http(doc.checklists.postflight)).toEqual([
      'GET api-eu1-kestrel-example-443/health',
      'GET api-eu1-kestrel-example-443/internal/version',
      'GET kestrel-api-kestrel-svc-cluster-local-8080/readyz',
      'HEAD admin-eu1-kestrel-example-8443/login',
      'GET api-ap1-kestrel-example-443/partner/cn/v1/ping',
    ]);
    expect(doc.targets).toEqual({
      'api-eu1-kestrel-example-443': 'https://api.eu1.kestrel.example',
      'kestrel-api-kestrel-svc-cluster-local-8080': 'http://kestrel-api.kestrel.svc.cluster.local:8080',
      'admin-eu1-kestrel-example-8443': 'https://admin.eu1.kestrel.example:8443',
      'api-ap1-kestrel-example-443': 'https://api.ap1.kestrel.example',
    });
  });

  it('opens in tmux at 120x40 with the header on screen, also with the ledger panel full and an earlier run listed', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'oc-md-large-')), 'ledger.db');
    const panels = (s: string) => ['Ready', 'Canary', 'Gate', 'Ledger', 'Checklist'].every((t) => s.includes(t));
    const header = (s: string) => s.split('\n')[0];
    const open = async (runbook: string, ready: (s: string) => boolean, what: string, flags = '') => {
      tmux = new Tmux();
      tmux.start(`node ${bin} open ${runbook} --ledger ${ledger} ${flags}`, { cwd: root, width: 120, height: 40 });
      return tmux.waitFor((s) => panels(s) && ready(s), what);
    };
    const quit = async () => {
      tmux!.send('q');
      await tmux!.waitFor(() => tmux!.paneDead(), 'the cockpit to exit');
      tmux!.kill();
    };

    // An earlier run in the same ledger: the Ledger panel then lists it in a table beside the events.
    await open(join(root, 'fixtures', 'runbooks', 'demo.yaml'), (s) => s.includes('preflight 0/5'), 'the cockpit on the demo runbook');
    await quit();

    // Its online / offline choice is made on the command line, so no form comes first.
    let screen = await open(RUNBOOK, (s) => s.includes('preflight 0/66') && s.includes('2 recent runs'), 'the cockpit on the large runbook', '--choose choice=online-upgrade-rolling');
    expect(header(screen)).toMatch(/^ opscockpit · RUNNING · /);
    expect(header(screen)).toContain(NAME);
    // The first step is a shell block, shown line by line before anything runs; it is skipped
    // with a reason. The next four are manual: each Enter confirms one, and the ledger panel fills.
    expect(screen).toContain('helm version --short');
    tmux!.send('s');
    await tmux!.waitFor((s) => s.includes('why?'), 'the skip dialog');
    tmux!.send('tools checked yesterday');
    tmux!.send('Enter');
    await tmux!.waitFor((s) => s.includes('preflight 1/66'), 'the script step skipped');
    for (let i = 2; i <= 5; i++) {
      tmux!.send('Enter');
      await tmux!.waitFor((s) => s.includes(`preflight ${i}/66`), `step ${i} confirmed`);
    }
    screen = await tmux!.waitFor((s) => s.includes('access-4: confirmed') && s.includes('access-1: confirmed'), 'six events in the ledger panel');
    expect(header(screen)).toMatch(/^ opscockpit · RUNNING · /);
    expect(screen).toContain('2 recent runs');
    expect(screen.split('\n').filter((l) => l.includes('Enter run/confirm'))).toHaveLength(1);
    await quit();
  });
});
