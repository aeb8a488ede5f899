// Help texts, one per command. Kept as data so `help CMD`, `CMD --help` and the README agree.
import { gateHelp } from './commands/gate-help.js';
import { harvestHelp } from './commands/harvest-help.js';
import { actHelp, modeHelp, stopHelp, unlockHelp, windowHelp } from './commands/safety-help.js';
import { convertHelp } from './commands/convert-help.js';
import { ledgerHelp, reportHelp } from './commands/ledger-help.js';
import { KILL_GRACE_MS } from '../../adapters/script-grace.js';
import { startOptionsHelp } from './commands/start-help.js';

export const VERSION = '0.1.0';

export const COMMANDS: Record<string, { usage: string; summary: string; details: string }> = {
  open: {
    usage: 'opscockpit open RUNBOOK [--param NAME=VALUE]... [--choose NAME=OPTION]... [--ledger PATH|URL] [--reason TEXT]   (or: opscockpit RUNBOOK)',
    summary: 'Open the cockpit on a runbook (needs a terminal).',
    details: `Shows Ready, Canary, Gate, Ledger and Checklist panels, walks the checklists step by
step and runs abort / rollback / promote behind a typed confirmation. An unfinished run of
the same runbook in the ledger is resumed where it stopped. Press ? in the cockpit for keys.
One cockpit drives a run; a second cockpit on the runbook while its driver is live observes
that run: its keys that act are off and it says who drives, since when and why; ! stops,
T takes over (asks a reason, recorded). A driver silent for 15 s has lapsed.

Options:
  --ledger PATH|URL   SQLite ledger file (default: .opscockpit/ledger.db beside the runbook), or a
                      PostgreSQL team ledger: postgres://LOGIN@HOST/DB (also OPSCOCKPIT_LEDGER)
  --reason TEXT       why you drive this run, shown to the observers ("cutover v2.3")
${startOptionsHelp('open')}`,
  },
  watch: {
    usage: 'opscockpit watch RUNBOOK|RUN_ID [--ledger PATH|URL]',
    summary: 'Open a read-only cockpit on a runbook\'s open run, or on one run (needs a terminal).',
    details: `Shows the run live as its driver's cockpit records it: who drives, since when and why, each
step, action and verdict. Nothing is recorded from here and nothing can be taken over; the
emergency stop (!) still works, from anyone. RUN_ID: the run as the ledger names it.

Options:
  --ledger PATH|URL   the ledger (default: .opscockpit/ledger.db beside the runbook; also OPSCOCKPIT_LEDGER)`,
  },
  demo: {
    usage: 'opscockpit demo [--canary | --system NAME] [--ledger PATH]',
    summary: 'Start the fixture targets and open the cockpit on the demo runbook.',
    details: `Starts the bundled fixture targets on a free 127.0.0.1 port, creates a fresh ledger in a
temporary folder (unless --ledger is given) and opens fixtures/runbooks/demo.yaml.
The demo-only key f breaks /readyz (503) and restores it.
--canary opens fixtures/runbooks/canary.yaml instead: the fixture sends itself orders, c starts
the canary analysis, and f breaks /api/orders so the next window fails and the canary aborts.
--system NAME opens one seed's fixture system and runbook (fixtures/systems/NAME): daily-ops,
decisionos, ops-playbook, newsbot, talkative. f injects that system's main failure.`,
  },
  check: {
    usage: 'opscockpit check RUNBOOK [--phase preflight|postflight] [--param NAME=VALUE]... [--choose NAME=OPTION]... [--scheduled] [--json] [--ledger PATH|URL]',
    summary: 'Run the automatic steps of a phase headless and record the run.',
    details: `Manual steps are reported as pending. Exit codes:
  0  healthy (GO)
  1  error (bad runbook, unreachable ledger)
  2  unhealthy or insufficient data (NO-GO / INSUFFICIENT)
  130/143  stopped by SIGINT/SIGTERM: the running script's process group killed, the run failed
--scheduled: for cron. A phase that is INSUFFICIENT only because scripts printed the
insufficient-data token (status=insufficient_data, e.g. no traffic yet) counts as healthy.
--json prints one stable JSON document (schema opscockpit.check/v1).
${startOptionsHelp('check')}`,
  },
  stage: {
    usage: 'opscockpit stage [--ledger PATH|postgres://…] [--json]',
    summary: 'Show the release stage from its signed stage file and check the signature.',
    details: `The stage file sits beside the ledger (stage.json), signed with HMAC-SHA256 by a key from
OPSCOCKPIT_STAGE_KEYS ("id:base64,..."; the first signs, the others are accepted in grace).
On a PostgreSQL ledger the stage is its newest signed stage row, the mover being the login.
Exit codes: 0 intact (or not written yet: stable), 2 damaged, unknown key or no keys (the
stage falls back to stable), 1 error.`,
  },
  run: {
    usage: 'opscockpit run RUNBOOK [--action NAME]... [--confirm STEP|ACTION]... [--param NAME=VALUE]... [--choose NAME=OPTION]... [--yes] [--json] [--take-over REASON] [--ledger PATH|URL]',
    summary: 'Run the whole procedure headless (cron, CI): preflight, the actions, postflight.',
    details: `The same session as the cockpit: steps in order, actions through the same safety
controls (emergency stop, scopes, allowlist, mode, window). It stops at the first failed step,
at a refusal, or at a step that needs a person (manual steps not named with --confirm; confirm-first
scripts without --yes or --confirm). --confirm STEP attests a manual step, or confirms one confirm-first
script (a destructive one too: naming it is typing its id); it is recorded with your name.
A step or an --action whose outcome is unknown (the cockpit running it died) stops the run, --yes or
not, until --confirm names it (its step id, its action name): it may still have run or be running;
check by hand first.
Exit codes: 0 completed, 1 an action failed, 2 NO-GO or waiting for an operator, 3 refused by
a control or because someone drives the runbook's run. --json prints one JSON document (schema opscockpit.run/v1).
SIGINT, SIGTERM or SIGHUP while a script runs: the cancellation is recorded, the script's process group
is killed (TERM, then KILL after ${KILL_GRACE_MS / 1000} s), its outcome is recorded, the run ends as failed,
and the exit code is 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP). A second signal exits at once.
${startOptionsHelp('run')}`,
  },
  validate: {
    usage: 'opscockpit validate RUNBOOK [--outline] [--param NAME=VALUE]... [--choose NAME=OPTION]...',
    summary: 'Check a runbook file; every problem is named with line, column and field.',
    details: `Exit 0 when the runbook is valid, 1 otherwise. A runbook with no steps is valid, with a
warning line on stderr.
  --outline       print what the cockpit makes of it: each phase's steps in order, what each
                  runs and how it is started (Enter, a typed confirmation, a polled check), its
                  notes, the values it still needs, the choices, the parameters and the actions
  --param NAME=VALUE, --choose NAME=OPTION  check the runbook as a run with these values and
                  options would load it; a declared parameter not given is no problem (a run
                  asks for it when it starts), a bad value is`,
  },
  schema: {
    usage: 'opscockpit schema',
    summary: 'Print the runbook JSON Schema (for editor autocompletion).',
    details: 'Point your editor at it, e.g. `# yaml-language-server: $schema=opscockpit.schema.json`.',
  },
  ledger: ledgerHelp,
  report: reportHelp,
  convert: convertHelp,
  act: actHelp,
  stop: stopHelp,
  mode: modeHelp,
  window: windowHelp,
  unlock: unlockHelp,
  harvest: harvestHelp,
  gate: gateHelp,
  fixtures: {
    usage: 'opscockpit fixtures serve [--port N] [--system NAME]',
    summary: 'Serve the fixture targets on 127.0.0.1 (port 0 picks a free one).',
    details: `Prints "listening http://127.0.0.1:PORT" first, then one line per request.
Routes: /readyz, /health, /ops/cards/reason-trends (Bearer $DEMO_TOKEN, ETag), /metrics,
and the fault switch: POST /__fault {"route","status","delayMs","body"}, DELETE /__fault.
--system NAME also serves one seed's system (daily-ops, decisionos, ops-playbook, newsbot,
talkative) from a fresh home folder, and prints the environment its runbook expects.`,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `opscockpit ${VERSION} — a terminal cockpit for runbook-driven release cutovers

Usage: opscockpit <command> [options]
       opscockpit RUNBOOK            open the cockpit on RUNBOOK

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Run "opscockpit help COMMAND" or "opscockpit COMMAND --help" for details.
Exit codes: 0 healthy / done, 1 error, 2 unhealthy or insufficient data.`;
}

export function commandHelp(name: string): string | undefined {
  const c = COMMANDS[name];
  return c ? `Usage: ${c.usage}\n\n${c.summary}\n\n${c.details}` : undefined;
}
