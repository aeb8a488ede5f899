// Help for what a run starts with (--param, --choose), shared by open, run, check and act.

/** The options' lines; `asks` for open, where a person fills the form. */
export function startOptionsHelp(command: 'open' | 'run' | 'check' | 'act'): string {
  const missing =
    command === 'open'
      ? `What is missing is asked in a form before the cockpit starts (Esc or q there quits
                  without starting); without a terminal it needs a person: exit 2 naming it.`
      : command === 'check'
        ? `A parameter without a value needs a person: exit 2 naming it. A choice not given
                  walks its first option (check never runs shell blocks) and says so on stderr.`
        : `A parameter without a value, or a choice not given, needs a person: exit 2,
                  naming it, its options and the flag to add.`;
  return `  --param NAME=VALUE  a value for one of the runbook's params: (repeat for each); a secret one
                  is masked in the ledger and in every output.
  --choose NAME=OPTION  the option of one of the runbook's choices (Linux / macOS, online /
                  offline) to walk (repeat for each); OPSCOCKPIT_CHOOSE=NAME=OPTION[,NAME=OPTION]
                  is the same from the environment, and --choose wins.
                  ${missing}
                  A run still open in the ledger goes on with the options and values it
                  recorded where none are given. Other options are refused (they would change
                  its checklist); other values are taken, said on stderr and recorded. A run
                  someone drives is joined only with its own values: other ones are refused.${command === 'run' || command === 'act' ? `\n${TAKE_OVER_HELP}` : ''}`;
}

/** --take-over on run and act: the one way a headless command acts on a run someone drives. */
export const TAKE_OVER_HELP = `  --take-over REASON  while someone drives a run of the runbook (a cockpit, or another
                  headless command), the command is refused: exit 3 naming who drives, since when
                  and why. With a reason, it takes that run over as T does in the cockpit
                  (recorded as run.driver) and goes on with the run's values. The emergency
                  stop (opscockpit stop on) needs no seat.`;
