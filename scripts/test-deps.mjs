#!/usr/bin/env node
// The first part of `npm test`: the programs the tests run that npm cannot install.
// All present: says nothing. Some missing, running as root where apt-get exists: installs them
// (one line says what). Missing otherwise: one line naming them and the command that installs
// them, exit 1, before any test runs.
// OPSCOCKPIT_TEST_DEPS_NO_INSTALL=1 never installs (that last case, wherever it runs).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Every program the tests need from the system, in one place. `command` is looked up on PATH;
 * `package` is the Debian package that provides it; `service: true` marks a package whose
 * install would start a service (denied during the install: containers have no init system).
 * `find`, when given, replaces the PATH lookup (Debian keeps PostgreSQL's programs under
 * /usr/lib/postgresql/N/bin, off PATH).
 */
export const NEEDED = [
  { command: 'tmux', package: 'tmux', why: 'the end-to-end tests drive the built cockpit in tmux' },
  { command: 'python3', package: 'python3', why: 'the ops-playbook system runs Python scripts' },
  { command: 'openssl', package: 'openssl', why: 'the HTTPS adapter test makes a certificate' },
  { command: 'sqlite3', package: 'sqlite3', why: 'the ledger tamper tests edit the file with it' },
  { command: 'git', package: 'git', why: 'the news bot system is a real git repository' },
  { command: 'zsh', package: 'zsh', why: 'Markdown zsh blocks run in a real zsh session' },
  { command: 'prometheus', package: 'prometheus', service: true, why: 'the canary tests query a real Prometheus' },
  { command: 'initdb', package: 'postgresql', service: true, find: postgresInstalled, why: 'the team ledger tests run a real PostgreSQL server' },
];

/** initdb of any PostgreSQL major version Debian installed, or on PATH. */
export function postgresInstalled(root = '/usr/lib/postgresql') {
  try {
    if (readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb')))) return true;
  } catch {
    /* no Debian PostgreSQL */
  }
  return onPath('initdb');
}

function onPath(command, path = process.env.PATH ?? '') {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const present = (need) => (need.find ? need.find() : onPath(need.command));

export function missing(needs = NEEDED) {
  return needs.filter((n) => !present(n));
}

/** The one line printed when the tests cannot install what they need. */
export function cannotInstallLine(absent) {
  const packages = absent.map((n) => n.package).join(' ');
  const names = absent.map((n) => n.command).join(', ');
  return `npm test: missing ${names}; install with: sudo apt-get install -y ${packages}`;
}

function canInstall() {
  if (process.env.OPSCOCKPIT_TEST_DEPS_NO_INSTALL === '1') return false;
  return process.getuid?.() === 0 && onPath('apt-get');
}

/** Runs apt-get quietly; its output is shown only when it fails. */
function apt(args) {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

function install(absent) {
  console.error(`npm test: installing ${absent.map((n) => n.package).join(' ')} (apt-get)`);
  const update = apt(['update', '-qq']);
  if (!update.ok) fail(`npm test: apt-get update failed:\n${update.output.trim()}`);
  const plain = absent.filter((n) => !n.service).map((n) => n.package);
  if (plain.length) {
    const r = apt(['install', '-y', '-qq', ...plain]);
    if (!r.ok) fail(`npm test: apt-get install ${plain.join(' ')} failed:\n${r.output.trim()}`);
  }
  const services = absent.filter((n) => n.service).map((n) => n.package);
  if (services.length) installDenyingServiceStart(services);
  const still = missing(absent);
  if (still.length) fail(`npm test: still missing after apt-get: ${still.map((n) => n.command).join(', ')}`);
}

// A service package's postinst tries to start its service; containers have no init system, so
// service starts are denied for the install (policy-rc.d exit 101), and the result is judged by
// dpkg and the program on PATH rather than by apt-get's exit status.
function installDenyingServiceStart(packages) {
  const policy = '/usr/sbin/policy-rc.d';
  const ours = !existsSync(policy);
  if (ours) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  let r;
  try {
    r = apt(['install', '-y', '-qq', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...packages]);
  } finally {
    if (ours) rmSync(policy, { force: true });
  }
  for (const p of packages) {
    const status = spawnSync('dpkg', ['-s', p], { encoding: 'utf8' });
    if (status.status !== 0 || !/^Status: install ok installed/m.test(status.stdout)) {
      fail(`npm test: ${p} did not install:\n${r.output.trim()}`);
    }
  }
}

function main() {
  const absent = missing();
  if (!absent.length) return;
  if (canInstall()) install(absent);
  else fail(cannotInstallLine(absent));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
