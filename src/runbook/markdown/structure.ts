// The intermediate "Markdown runbook": what the walker reads out of the document, before it
// becomes runbook format v1 (document.ts). Plain data, so it can be tested and printed.
import type { Phase, ShellName } from '../model.js';
import type { FrontMatter } from './front-matter.js';
import type { EvaluatedUse } from './evaluated.js';

/** A GET (or HEAD) found in the text, proposed as an HTTP check expecting 200. */
export interface ProposedHttpCheck {
  method: 'GET' | 'HEAD';
  /** Target name: `app` for bare paths, else from the URL's host and port. */
  target: string;
  /** Base URL (may be an `${ENV:-default}` template for `app`). */
  base: string;
  path: string;
  headers: Record<string, string>;
  /** As written, for titles: `GET /health`. */
  label: string;
}

/** A fenced shell block (or one comment-led group of it), run with `bash -c` after Enter. */
export interface ProposedScript {
  /** What runs: the commands, prompts stripped, each `<NAME>` a reference to its value as one word (placeholders.ts). */
  block: string;
  label: string;
  /** Lines of the block that are expected output, shown and never run. */
  output?: string[];
  /** Values the block needs that the runbook does not set (item: parameters). */
  placeholders?: string[];
  /** `<NAME>`s written where no value can reach them (a quoted here-document): an error in the runbook. */
  unfillable?: string[];
  /** Values used where bash evaluates them, at their Markdown line and column (1-based): evaluated.ts. */
  evaluated?: EvaluatedUse[];
  /** Why the block looks destructive: it asks for a typed confirmation. */
  destructive?: string;
  /** The runbook marks the block a read-only check (`check every=5s`). */
  check?: { every?: string };
  /** Annotated (annotate.ts): how long it may run, e.g. `5m` (default 10m). */
  timeout?: string;
  /** Annotated: the exit codes that mean success (default 0). */
  expectExit?: number[];
  /** Annotated, or the fence's language: the shell session it runs in (default bash). */
  shell?: ShellName;
  /** Annotated: typed or Enter; never lowers a block that looks destructive (destructive.ts). */
  confirm?: 'typed' | 'enter';
}

export interface MarkdownStep {
  /** Annotated name=: the step's id (unique); else document.ts gives `<slug>-<n>`. */
  id?: string;
  /** Annotated scope=: the permission the operator needs to run it (default run:steps). */
  scope?: string;
  title: string;
  line: number;
  /** Heading path of the section the step came from, e.g. `Deploy checklist › Preflight`. */
  section: string;
  /** Short plain text from the paragraphs, tables and notes around the step. */
  context: string[];
  http?: ProposedHttpCheck;
  script?: ProposedScript;
}

export interface MarkdownSection {
  title: string;
  /** [A-Za-z0-9_-]; unique in the document. Step ids are `<slug>-<n>`. */
  slug: string;
  line: number;
  phase: Phase;
  steps: MarkdownStep[];
}

/** Sibling sections or tabs of which the operator walks one (Linux / macOS / Windows). */
export interface MarkdownChoice {
  /** [a-z0-9-], unique in the document: what `--choose NAME=OPTION` names. */
  name: string;
  title: string;
  line: number;
  options: { name: string; title: string; sections: string[] }[];
}

/** The section about going back (Roll back, Revert, Downgrade, If … fails). */
export interface MarkdownRollback {
  title: string;
  line: number;
  steps: MarkdownStep[];
}

export interface MarkdownRunbook {
  name: string;
  description?: string;
  /** The YAML or TOML front matter: metadata, opscockpit settings and their lines. */
  frontMatter?: FrontMatter;
  sections: MarkdownSection[];
  /** Section slugs by choice and option; only the chosen option's steps are walked. */
  choices?: MarkdownChoice[];
  rollback?: MarkdownRollback;
}
