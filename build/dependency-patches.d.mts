import type { Plugin } from 'esbuild';

/** A start-up patch of a dependency: the files it applies to and its text edits (from → to). */
export interface DependencyPatch { name: string; file: RegExp; edits: [string, string][] }
export const PATCHES: DependencyPatch[];
/** `text` (the file at `where`) with a patch's edits; throws when one no longer applies. */
export function applyPatch(patch: DependencyPatch, text: string, where: string): string;
/** The patches as esbuild plugins. */
export const dependencyPatches: Plugin[];
