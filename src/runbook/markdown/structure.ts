// The intermediate "Markdown runbook": what the walker reads out of the document, before it
// becomes runbook format v1 (document.ts). Plain data, so it can be tested and printed.
import type { Phase } from '../model.js';
import type { FrontMatter } from './front-matter.js';

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
  block: string;
  label: string;
}

export interface MarkdownStep {
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

export interface MarkdownRunbook {
  name: string;
  description?: string;
  /** The YAML or TOML front matter: metadata, opscockpit settings and their lines. */
  frontMatter?: FrontMatter;
  sections: MarkdownSection[];
}
