// What a canary metric reads and what it gets back. A provider that could not answer (target
// down, timeout, query error, bad JSON, no such column) says so as a provider error; that is
// never turned into a number, so a broken metrics backend cannot pass or fail a canary.
import type { ScriptSpec, Template } from '../../src/runbook/model.js';
import type { CsvCursor } from './csv-tail.js';

export type MetricProvider = 'http-json' | 'csv' | 'script' | 'prometheus';

export type CsvAggregate = 'last' | 'avg' | 'max' | 'min' | 'sum' | 'count' | 'rate';

interface QueryBase {
  /** The metric's name in the runbook, used in messages. */
  name: string;
  provider: MetricProvider;
}

/** GET a URL and pick a number out of its JSON answer. */
export interface HttpJsonQuery extends QueryBase {
  provider: 'http-json';
  url: string;
  /** Dot path with array indices, e.g. `data.result.0.value.1`; empty = the whole document. */
  path: string;
  headers?: Record<string, Template>;
  timeoutMs?: number;
}

/** Aggregate the rows appended to a CSV file since the previous read. */
export interface CsvQuery extends QueryBase {
  provider: 'csv';
  file: string;
  column: string;
  aggregate: CsvAggregate;
  /** A condition on the column (`>= 500`): the numerator of `rate`, a row filter otherwise. */
  where?: string;
}

/** Run a script that prints JSON and pick a number out of it. */
export interface ScriptQuery extends QueryBase {
  provider: 'script';
  script: ScriptSpec;
  path: string;
}

/** Prometheus HTTP API instant query. */
export interface PrometheusQuery extends QueryBase {
  provider: 'prometheus';
  /** Base URL of the Prometheus server (a path prefix is kept). */
  url: string;
  query: string;
  /** Evaluation time: epoch milliseconds, or a string Prometheus accepts (RFC 3339, unix seconds). */
  time?: number | string;
  headers?: Record<string, Template>;
  timeoutMs?: number;
}

export type MetricQuery = HttpJsonQuery | CsvQuery | ScriptQuery | PrometheusQuery;

/** Every value of a column in the rows appended since the previous read. */
export interface CsvSamplesQuery extends QueryBase {
  provider: 'csv';
  file: string;
  column: string;
}

/**
 * One side of a compare metric: the window's samples rather than one number. An http-json
 * sample query's path leads to an array of numbers.
 */
export type SampleQuery = CsvSamplesQuery | HttpJsonQuery;

export type ProviderError = { ok: false; kind: 'provider-error'; reason: string; at: number };

/**
 * `value: null` is "the provider answered but has no data" (an empty Prometheus vector, no new
 * CSV rows): inconclusive, not an error.
 */
export type MetricReading = { ok: true; value: number | null; at: number; detail?: string } | ProviderError;

/** A window's samples; an empty list is no data (the judge says so), not an error. */
export type SampleReading = { ok: true; values: number[]; at: number; detail?: string } | ProviderError;

export interface MetricContext {
  env: NodeJS.ProcessEnv;
  /** Declared secret names: expanded in headers and script env, masked in every reason. */
  secrets: readonly string[];
  signal?: AbortSignal;
  now?: () => number;
  /**
   * Where CSV readers keep their place between reads, by metric name and file. Without it
   * every read covers the whole file.
   */
  csvCursors?: Map<string, CsvCursor>;
}

export const DEFAULT_METRIC_TIMEOUT_MS = 5_000;
