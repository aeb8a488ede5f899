// Which runbook a file is, the same on every machine (src/runbook/identity.ts): a declared id,
// else the git remote origin (read from the work tree's own files) and the path in the
// repository, else the absolute path. Real folders and git configs; one made by the git binary.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configValue, normalizeRemoteUrl, runbookIdentity, runbookNames } from '../src/runbook/identity.js';
import { loadRunbook, loadRunbookFile, RunbookError } from '../src/runbook/load.js';
import { formatOutline } from '../src/cli/outline.js';
import { cli } from './support/cli.js';
import { clone, SHIP_YAML } from './support/git-clone.js';

const RUNBOOK = SHIP_YAML;

describe('a git remote in one form', () => {
  it('scp-like, https and ssh URLs of one repository are one name, without users, passwords, default ports or .git', () => {
    for (const url of [
      'git@github.com:org/repo.git',
      'https://github.com/org/repo',
      'ssh://git@github.com/org/repo.git',
      'ssh://git@github.com:22/org/repo.git/',
      'https://alice:s3cr3t@github.com/org/repo.git',
      'https://ghp_token@GitHub.com/org/repo/',
      'git+ssh://git@github.com/org/repo',
      'git://github.com/org/repo.git',
      '  git@github.com:org/repo.git\n',
    ]) expect(normalizeRemoteUrl(url), url).toBe('github.com/org/repo');
  });

  it('keeps what tells repositories apart: another port, a nested group, the path', () => {
    expect(normalizeRemoteUrl('ssh://git@gitlab.example.com:2222/team/sub/ops.git')).toBe('gitlab.example.com:2222/team/sub/ops');
    expect(normalizeRemoteUrl('https://gitlab.example.com:8443/team/ops')).toBe('gitlab.example.com:8443/team/ops');
    expect(normalizeRemoteUrl('git@gitlab.example.com:team/sub/ops.git')).toBe('gitlab.example.com/team/sub/ops');
    expect(normalizeRemoteUrl('https://github.com/org/other')).not.toBe(normalizeRemoteUrl('https://github.com/org/repo'));
    expect(normalizeRemoteUrl('https://user%40corp:p%40ss@git.corp.example/ops')).toBe('git.corp.example/ops');
    // A query or fragment names no repository and may carry a token: never part of the key.
    expect(normalizeRemoteUrl('https://git.corp.example/team/ops.git?private_token=glpat-SECRET#main')).toBe('git.corp.example/team/ops');
    // In a path, `#` and `?` are part of the name: two repositories stay two.
    expect(normalizeRemoteUrl('/srv/git/c#/ops')).not.toBe(normalizeRemoteUrl('/srv/git/c#/web'));
  });

  it('a remote on this machine is its absolute path; a relative one is resolved against the work tree', () => {
    expect(normalizeRemoteUrl('/srv/git/ops.git')).toBe('/srv/git/ops');
    expect(normalizeRemoteUrl('file:///srv/git/ops.git/')).toBe('/srv/git/ops');
    expect(normalizeRemoteUrl('../ops.git', '/home/alice/src/ops')).toBe('/home/alice/src/ops');
    expect(normalizeRemoteUrl('../shared/ops.git', '/home/alice/src/ops')).toBe('/home/alice/src/shared/ops');
    expect(normalizeRemoteUrl('')).toBeUndefined();
  });

  it('reads a git config as git does: sections and keys in any case, quotes, comments, the subsection exactly', () => {
    const text = '# comment\n[Remote "upstream"]\n\turl = git@github.com:up/repo.git\n[REMOTE "origin"] ; comment\n\tURL = "https://github.com/org/repo" # trailing\n[remote "Origin"]\n\turl = wrong\n';
    expect(configValue(text, 'remote', 'origin', 'url')).toBe('https://github.com/org/repo');
    expect(configValue(text, 'remote', 'upstream', 'url')).toBe('git@github.com:up/repo.git');
    expect(configValue(text, 'remote', 'fork', 'url')).toBeUndefined();
  });
});

describe("a runbook's key", () => {
  it('is the origin and the path in the repository, the same for two clones in two folders', () => {
    const alice = clone('git@github.com:acme/ops.git', 'ops');
    const bob = clone('https://bob:token@github.com/acme/ops', 'src-ops');
    expect(alice.file).not.toBe(bob.file);
    for (const c of [alice, bob]) expect(runbookIdentity(c.file)).toEqual({ key: 'github.com/acme/ops/ops/ship.yaml', keyFrom: 'git' });
    const a = loadRunbook(alice.file, {});
    expect([a.key, a.keyFrom, a.file]).toEqual(['github.com/acme/ops/ops/ship.yaml', 'git', alice.file]);
    expect(runbookNames(a)).toEqual(['github.com/acme/ops/ops/ship.yaml', alice.file]);
  });

  it('is found through a symlinked folder, from the real file', () => {
    const c = clone('git@github.com:acme/ops.git');
    const link = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-link-'))), 'runbooks');
    symlinkSync(join(c.root, 'ops'), link);
    expect(runbookIdentity(join(link, 'ship.yaml')).key).toBe('github.com/acme/ops/ops/ship.yaml');
  });

  it('is the absolute path without an origin, or outside any work tree', () => {
    const none = clone(undefined);
    expect(runbookIdentity(none.file)).toEqual({ key: none.file, keyFrom: 'path' });
    const loose = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-'))), 'ship.yaml');
    writeFileSync(loose, RUNBOOK);
    const rb = loadRunbook(loose, {});
    expect([rb.key, rb.keyFrom]).toEqual([loose, 'path']);
    expect(runbookNames(rb)).toEqual([loose]);
    expect(formatOutline(rb, 'ship.yaml').split('\n')[1]).toBe('');
  });

  it('without an origin, is the real path: a runbook opened through a symlinked folder is the same runbook', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-real-')));
    mkdirSync(join(dir, 'ops'));
    writeFileSync(join(dir, 'ops', 'ship.yaml'), RUNBOOK);
    symlinkSync(join(dir, 'ops'), join(dir, 'linked'));
    const real = loadRunbook(join(dir, 'ops', 'ship.yaml'), {});
    const linked = loadRunbook(join(dir, 'linked', 'ship.yaml'), {});
    expect([linked.key, linked.keyFrom]).toEqual([real.key, 'path']);
    expect(linked.key).toBe(join(dir, 'ops', 'ship.yaml'));
    // Runs an older version recorded under the linked path are still this runbook's.
    expect(runbookNames(linked)).toEqual([real.key, join(dir, 'linked', 'ship.yaml')]);
  });

  it('is read from a linked worktree (.git file, commondir) and a repository made by the git binary', () => {
    const main = clone('git@github.com:acme/ops.git', 'ops');
    const tree = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-wt-'))), 'feature');
    mkdirSync(join(main.root, '.git', 'worktrees', 'feature'), { recursive: true });
    writeFileSync(join(main.root, '.git', 'worktrees', 'feature', 'commondir'), '../..\n');
    mkdirSync(join(tree, 'ops'), { recursive: true });
    writeFileSync(join(tree, '.git'), `gitdir: ${join(main.root, '.git', 'worktrees', 'feature')}\n`);
    writeFileSync(join(tree, 'ops', 'ship.yaml'), RUNBOOK);
    expect(runbookIdentity(join(tree, 'ops', 'ship.yaml')).key).toBe('github.com/acme/ops/ops/ship.yaml');

    const real = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-git-'))), 'checkout');
    mkdirSync(join(real, 'deploy'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-C', real, ...args], { stdio: 'pipe', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q');
    writeFileSync(join(real, 'deploy', 'ship.yaml'), RUNBOOK);
    expect(runbookIdentity(join(real, 'deploy', 'ship.yaml')).keyFrom).toBe('path');
    git('remote', 'add', 'origin', 'ssh://git@github.com/acme/ops.git');
    expect(runbookIdentity(join(real, 'deploy', 'ship.yaml')).key).toBe('github.com/acme/ops/deploy/ship.yaml');
  });

  it('is the id a runbook declares, in YAML or in Markdown front matter, wherever the file is', async () => {
    const c = clone('git@github.com:acme/ops.git', 'ops', `version: 1\nname: Ship\nid: orders-failover\n${RUNBOOK.split('\n').slice(2).join('\n')}`);
    const rb = loadRunbook(c.file, {});
    expect([rb.key, rb.keyFrom]).toEqual(['orders-failover', 'id']);
    expect(formatOutline(rb, 'ops/ship.yaml').split('\n')[1]).toBe('  runbook orders-failover (its declared id): every copy with this key is this runbook to a shared ledger');

    const md = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-md-'))), 'failover.md');
    writeFileSync(md, '---\ntitle: Fail over\nopscockpit:\n  id: orders-failover\n---\n# Fail over\n\n- [ ] Tell the channel\n');
    const m = await loadRunbookFile(md, {});
    expect([m.key, m.keyFrom, m.file]).toEqual(['orders-failover', 'id', md]);
  });

  it('refuses an id that is not a short slug, with file, line and field', async () => {
    const c = clone(undefined, 'ops', `version: 1\nname: Ship\nid: Orders Failover!\n${RUNBOOK.split('\n').slice(2).join('\n')}`);
    expect(() => loadRunbook(c.file, {})).toThrow(RunbookError);
    const r = await cli(['validate', c.file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(c.file);
    expect(r.stderr).toMatch(/line 3, column \d+ +id\n +an id is a short slug/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const md = join(realpathSync(mkdtempSync(join(tmpdir(), 'oc-ident-md-'))), 'failover.md');
    writeFileSync(md, `---\ntitle: Fail over\nopscockpit:\n  id: ${'x'.repeat(65)}\n---\n# Fail over\n\n- [ ] Tell the channel\n`);
    const m = await cli(['validate', md]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(md);
    expect(m.stderr).toMatch(/line 4, column \d+ +opscockpit\.id\n +an id is a short slug/);
  });

  it('validate --outline says why two copies are one runbook', async () => {
    const c = clone('git@github.com:acme/ops.git');
    const r = await cli(['validate', c.file, '--outline']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `Ship  (${c.file})`,
      '  runbook github.com/acme/ops/ops/ship.yaml (its git remote origin and path in the repository): every copy with this key is this runbook to a shared ledger',
    ]);
  });
});
