// The command line. `main` returns the exit code; bin/opscockpit is the one place that exits.
import { parseCommandArgs } from './args.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRunbook, loadRunbookFile } from '../runbook/load.js';
import { runbookJsonSchema } from '../runbook/schema.js';
import type { Phase } from '../runbook/model.js';
import { chosenLedgerPath, openLedger, chainKeyFrom } from '../../adapters/ledger.js';
import { noLedgerAt } from '../../adapters/ledger-errors.js';
import { chosenLedgerLocation } from '../../adapters/ledger-path.js';
import { runHeadlessCheck } from '../session/headless.js';
import { COMMANDS, VERSION, commandHelp, mainHelp } from './usage.js';
import { UsageError } from './errors.js';
import { NO_STEPS_REASON, stepless } from '../engine/verdict.js';
import { withControlScopes } from '../engine/safety.js';
import { PARAM_OPTION, loadForValidate, loadWithParams, startArgs, type AskStart } from './params.js';
import { withParamValues } from '../runbook/params.js';
import { demoRunbookPath } from './paths.js';
import { formatCheckReport, formatRuns } from './format.js';
import { terminalSafe } from './terminal-safe.js';
// Small, and on the cockpit's way to its first frame: not a lazy chunk of its own (Ink stays lazy there).
import { runTui } from './tui.js';

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /**
   * SIGINT/SIGTERM from the moment a command asks: commands that run scripts ask, and shut down
   * in order (the session's `shutdown`) instead of dying with the script still running.
   */
  shutdownSignal?: () => AbortSignal;
}

const defaultIo = (): Io => ({ stdout: terminalSafe(process.stdout), stderr: terminalSafe(process.stderr), env: process.env });

type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;
interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(command: string, args: string[], options: OptionSpec): Parsed {
  return parseCommandArgs(command, args, { ...options, help: { type: 'boolean', short: 'h' } }) as Parsed;
}

function out(io: Io, text: string): void {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const text = topic ? commandHelp(topic) : mainHelp();
    if (!text) throw new UsageError(`no command "${topic}"`);
    out(io, text);
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    out(io, VERSION);
    return 0;
  }
  const command = COMMANDS[first] ? first : first.startsWith('-') ? undefined : 'open';
  if (!command) throw new UsageError(`unknown option ${first}`);
  const args = command === 'open' && first !== 'open' ? argv : rest;
  if (args.includes('--help') || args.includes('-h')) {
    out(io, commandHelp(command)!);
    return 0;
  }
  switch (command) {
    case 'open':
      return openCommand(args, io);
    case 'demo':
      return demoCommand(args, io);
    case 'check':
      return checkCommand(args, io);
    case 'validate':
      return validateCommand(args, io);
    case 'schema': {
      const { positionals } = parse('schema', args, {});
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'schema');
      out(io, JSON.stringify(runbookJsonSchema(), null, 2));
      return 0;
    }
    case 'ledger':
      if (args[0] === 'init') return (await import('./commands/ledger-init.js')).initCommand(args.slice(1), io);
      if (args[0] === 'verify') return (await import('./commands/ledger-verify.js')).verifyCommand(args.slice(1), io);
      if (args[0] === 'migrate') return (await import('./commands/ledger-migrate.js')).migrateCommand(args.slice(1), io);
      if (args[0] === 'list' || args[0] === 'show' || args[0] === 'export')
        return (await import('./commands/ledger-browse.js')).ledgerSubcommand(args[0], args.slice(1), io);
      return ledgerCommand(args, io);
    case 'report':
      return (await import('./commands/report.js')).reportCommand(args, io);
    case 'fixtures':
      return fixturesCommand(args, io);
    case 'run':
      return (await import('./commands/run.js')).runCommand(args, io);
    case 'stage':
      return (await import('./commands/stage.js')).stageCommand(args, io);
    case 'harvest':
      return (await import('./commands/harvest.js')).harvestCommand(args, io);
    case 'gate':
      return (await import('./commands/gate.js')).gateCommand(args, io);
    case 'convert':
      return (await import('./commands/convert.js')).convertCommand(args, io);
    case 'act':
      return (await import('./commands/safety.js')).actCommand(args, io);
    case 'stop':
      return (await import('./commands/safety.js')).stopCommand(args, io);
    case 'mode':
      return (await import('./commands/safety.js')).modeCommand(args, io);
    case 'window':
      return (await import('./commands/safety.js')).windowCommand(args, io);
    case 'watch':
      return (await import('./commands/watch.js')).watchCommand(args, io, requireTerminal);
    case 'unlock':
      return (await import('./commands/safety.js')).unlockCommand(args, io);
  }
  return 1;
}

function oneRunbook(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one runbook file' : 'missing RUNBOOK', command);
  return resolve(positionals[0]);
}

const isTerminal = (io: Io) => !!(io.stdout.isTTY && process.stdin.isTTY);

function requireTerminal(io: Io): boolean {
  if (isTerminal(io)) return true;
  io.stderr.write(
    'opscockpit: the cockpit needs an interactive terminal (stdin and stdout are not both a TTY).\n' +
      'For scripts, CI and cron use the headless commands, e.g.:\n' +
      '  opscockpit check RUNBOOK --json     run the automatic checks, exit 0/1/2\n' +
      '  opscockpit ledger --json            recent runs from the ledger\n',
  );
  return false;
}

async function openCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('open', args, { ledger: { type: 'string' }, reason: { type: 'string' }, ...PARAM_OPTION });
  const file = oneRunbook('open', positionals);
  const ledgerPath = chosenLedgerLocation({ ledger: values.ledger, runbook: file }, io.env);
  // What is missing is asked in a form before the cockpit starts, where a person can answer.
  const ask: AskStart | undefined = isTerminal(io) ? async (runbook, given) => (await import('../../screens/run.js')).askStart(runbook, given) : undefined;
  const loaded = await loadWithParams('open', file, startArgs(values), io, { shown: positionals[0], ledgerPath, ask, seat: { wish: 'join' } });
  if (typeof loaded === 'number') return loaded;
  const { runbook, env, notice } = loaded;
  if (!requireTerminal(io)) return 1;
  await runTui({ runbook, ledgerPath, env, notice, signal: io.shutdownSignal?.(), reason: values.reason as string | undefined });
  return 0;
}

async function demoCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('demo', args, { ledger: { type: 'string' }, canary: { type: 'boolean', default: false }, system: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'demo');
  if (typeof values.system === 'string') return systemDemo(values.system, values.ledger as string | undefined, io);
  if (!requireTerminal(io)) return 1;
  const canary = values.canary === true;
  const { startFixtureServer } = await import('../../fixtures/server.js');
  const env = { ...io.env };
  // The demo's secret is made up here when the person did not bring one.
  env.DEMO_TOKEN ||= `demo-${Math.random().toString(36).slice(2, 12)}`;
  // Scopes are default-deny; the demo operator may run the demo's actions and relax its controls.
  env.OPSCOCKPIT_ALLOW_SCOPES ??= withControlScopes('ops:read,deploy:abort,deploy:rollback,deploy:promote');
  // The canary demo needs traffic to judge: the fixture sends itself orders.
  const faultRoute = canary ? '/api/orders' : '/readyz';
  const server = await startFixtureServer({ port: 0, token: env.DEMO_TOKEN, selfTraffic: canary ? { everyMs: 50, routes: ['/api/orders'] } : undefined });
  env.OPSCOCKPIT_DEMO_URL = server.url;
  const ledgerPath = resolve((values.ledger as string | undefined) ?? join(mkdtempSync(join(tmpdir(), 'opscockpit-demo-')), 'ledger.db'));
  try {
    const runbook = loadRunbook(demoRunbookPath(canary ? 'canary.yaml' : 'demo.yaml'), env);
    const { setFault, clearFaults } = await import('../../adapters/fixture-control.js');
    await runTui({
      runbook,
      ledgerPath,
      env,
      signal: io.shutdownSignal?.(),
      demo: {
        fixtureUrl: server.url,
        faultRoute,
        toggleFault: (on) => (on ? setFault(server.url, { route: faultRoute, status: 503 }) : clearFaults(server.url)),
      },
    });
  } finally {
    await server.close();
  }
  io.stdout.write(`demo ledger: ${ledgerPath}\n`);
  return 0;
}

async function systemDemo(name: string, ledgerOption: string | undefined, io: Io): Promise<number> {
  const { SYSTEMS, systemNamed } = await import('../../fixtures/systems/index.js');
  const system = systemNamed(name);
  if (!system) throw new UsageError(`no fixture system "${name}" (systems: ${Object.keys(SYSTEMS).join(', ')})`, 'demo');
  if (!requireTerminal(io)) return 1;
  const { startFixtureServer } = await import('../../fixtures/server.js');
  const { packageRoot } = await import('./paths.js');
  const home = mkdtempSync(join(tmpdir(), `opscockpit-${name}-`));
  await system.prepare(home);
  const env: NodeJS.ProcessEnv = { ...system.env?.(home), ...io.env, OPSCOCKPIT_FIXTURE_HOME: home };
  env.DEMO_TOKEN ||= `demo-${Math.random().toString(36).slice(2, 12)}`;
  // A seed system's own scopes only: its runbooks check that an operator's scopes are minimal.
  env.OPSCOCKPIT_ALLOW_SCOPES ??= system.scopes;
  const server = await startFixtureServer({ port: 0, token: env.DEMO_TOKEN, system: system.routes?.(home), onRequest: system.observe?.(home), selfTraffic: system.selfTraffic });
  env.OPSCOCKPIT_DEMO_URL = server.url;
  const ledgerPath = resolve(ledgerOption ?? join(home, 'ledger.db'));
  try {
    const runbook = await loadRunbookFile(join(packageRoot(), system.runbook), env, system.params?.(home));
    const { setFault, clearFaults } = await import('../../adapters/fixture-control.js');
    const { label, ...fault } = system.fault;
    await runTui({
      runbook,
      ledgerPath,
      env: withParamValues(runbook.params, env),
      signal: io.shutdownSignal?.(),
      demo: { fixtureUrl: server.url, faultRoute: fault.route, faultStatus: fault.status, faultText: label, toggleFault: (on) => (on ? setFault(server.url, fault) : clearFaults(server.url)) },
    });
  } finally {
    await server.close();
  }
  io.stdout.write(`demo ledger: ${ledgerPath}\nsystem home: ${home}\n`);
  return 0;
}

async function checkCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('check', args, {
    phase: { type: 'string', default: 'preflight' },
    json: { type: 'boolean', default: false },
    scheduled: { type: 'boolean', default: false },
    ledger: { type: 'string' },
    ...PARAM_OPTION,
  });
  const file = oneRunbook('check', positionals);
  const phase = values.phase as string;
  if (phase !== 'preflight' && phase !== 'postflight') throw new UsageError(`--phase must be preflight or postflight, not "${phase}"`, 'check');
  const loaded = await loadWithParams('check', file, startArgs(values), io, { shown: positionals[0] });
  if (typeof loaded === 'number') return loaded;
  const { runbook, env } = loaded;
  const ledgerPath = chosenLedgerLocation({ ledger: values.ledger, runbook: file }, io.env);
  // Cron's failures reach Slack (runbook notify:); sent before the ledger closes.
  const { withRecordingLedger } = await import('../session/headless-ledger.js');
  return withRecordingLedger({ runbook, ledgerPath, env }, async (ledger) => {
    const report = await runHeadlessCheck({ runbook, ledger, ledgerPath, phase: phase as Phase, env, scheduled: values.scheduled === true, signal: io.shutdownSignal?.() });
    out(io, values.json ? JSON.stringify(report, null, 2) : formatCheckReport(report));
    return report.healthy ? 0 : 2;
  });
}

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('validate', args, { outline: { type: 'boolean', default: false }, ...PARAM_OPTION });
  const file = oneRunbook('validate', positionals);
  const rb = await loadForValidate(file, startArgs(values), io);
  if (stepless(rb)) io.stderr.write(`opscockpit: warning: ${positionals[0]}: ${NO_STEPS_REASON}; a run of it would do nothing (a Markdown runbook's steps are task items, numbered items or shell blocks)\n`);
  if (values.outline) {
    const { formatOutline } = await import('./outline.js');
    out(io, formatOutline(rb, positionals[0]));
    return 0;
  }
  const steps = rb.checklists.preflight.length + rb.checklists.postflight.length;
  out(io, `${positionals[0]}: valid — ${Object.keys(rb.checks).length} checks, ${steps} steps, ${Object.keys(rb.actions).length} actions`);
  return 0;
}

function ledgerCommand(args: string[], io: Io): number {
  const { values, positionals } = parse('ledger', args, {
    ledger: { type: 'string' },
    runbook: { type: 'string' },
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`no ledger subcommand "${positionals[0]}" (ledger list, show, export, verify, init)`, 'ledger');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number ≥ 1, not "${values.limit}"`, 'ledger');
  const path = chosenLedgerPath(values);
  if (!existsSync(path)) throw noLedgerAt(path, values);
  const ledger = openLedger(path, { chainKey: chainKeyFrom(io.env), readOnly: true });
  try {
    const runs = ledger.listRuns(limit);
    if (values.json) {
      const doc = { ledger: path, runs: runs.map((r) => ({ ...r, events: ledger.events(r.runId) })) };
      out(io, JSON.stringify(doc, null, 2));
    } else out(io, formatRuns(path, runs));
    return 0;
  } finally {
    ledger.close();
  }
}

async function fixturesCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('fixtures', args, { port: { type: 'string', default: '8080' }, system: { type: 'string' } });
  if (positionals[0] !== 'serve') throw new UsageError('the fixtures command has one subcommand: serve', 'fixtures');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, not "${values.port}"`, 'fixtures');
  const { serveFixtures } = await import('../../fixtures/serve.js');
  if (typeof values.system === 'string') {
    const { SYSTEMS, systemNamed } = await import('../../fixtures/systems/index.js');
    const system = systemNamed(values.system);
    if (!system) throw new UsageError(`no fixture system "${values.system}" (systems: ${Object.keys(SYSTEMS).join(', ')})`, 'fixtures');
    const home = mkdtempSync(join(tmpdir(), `opscockpit-${system.name}-`));
    await system.prepare(home);
    const { packageRoot } = await import('./paths.js');
    const env = { OPSCOCKPIT_FIXTURE_HOME: home, OPSCOCKPIT_ALLOW_SCOPES: system.scopes, ...system.env?.(home) };
    await serveFixtures({ port, token: io.env.DEMO_TOKEN, system, home }, io.stdout, {
      // After "listening URL": what to export before opening the runbook against it.
      banner: (url) =>
        [`runbook ${join(packageRoot(), system.runbook)}`, `export OPSCOCKPIT_DEMO_URL=${url}`, ...Object.entries(env).map(([k, v]) => `export ${k}=${v}`)].join('\n') + '\n',
    });
    return 0;
  }
  await serveFixtures({ port, token: io.env.DEMO_TOKEN }, io.stdout);
  return 0;
}
