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
    expect(r.stdout.trim()).toBe(`${RUNBOOK}: valid — 71 checks, 139 steps, 0 actions`);
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
    expect(count(doc.checklists.preflight)).toEqual({ steps: 83, sections: 21, http: 3, script: 43, manual: 37 });
    expect(count(doc.checklists.postflight)).toEqual({ steps: 56, sections: 21, http: 8, script: 17, manual: 31 });
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
      'GET api-eu1-kestrel-example-443/health',
      'GET api-eu1-kestrel-example-443/internal/version',
      'GET admin-eu1-kestrel-example-8443/login',
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
    const open = async (runbook: string, ready: (s: string) => boolean, what: string) => {
      tmux = new Tmux();
      tmux.start(`node ${bin} open ${runbook} --ledger ${ledger}`, { cwd: root, width: 120, height: 40 });
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

    let screen = await open(RUNBOOK, (s) => s.includes('preflight 0/83') && s.includes('2 recent runs'), 'the cockpit on the large runbook');
    expect(header(screen)).toMatch(/^ opscockpit · RUNNING · /);
    expect(header(screen)).toContain(NAME);
    // The first four steps are manual: each Enter confirms one, and the ledger panel fills.
    for (let i = 1; i <= 4; i++) {
      tmux!.send('Enter');
      await tmux!.waitFor((s) => s.includes(`preflight ${i}/83`), `step ${i} confirmed`);
    }
    screen = await tmux!.waitFor((s) => s.includes('access-4: confirmed') && s.includes('access-1: confirmed'), 'six events in the ledger panel');
    expect(header(screen)).toMatch(/^ opscockpit · RUNNING · /);
    expect(screen).toContain('2 recent runs');
    expect(screen.split('\n').filter((l) => l.includes('Enter run/confirm'))).toHaveLength(1);
    await quit();
  });
});
