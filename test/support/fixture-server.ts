// Shared by the fixture server tests: a fresh server per test (`srv`, with withServer()), requests
// to it, and its /metrics read back as numbers.
import { afterEach, beforeEach } from 'vitest';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.js';

export const TOKEN = 'test-token';

export let srv: FixtureServer;
// Only the server suites get a fresh server; the script suite runs concurrently without one.
export function withServer() {
  beforeEach(async () => {
    srv = await startFixtureServer({ port: 0, token: TOKEN });
  });
  afterEach(async () => {
    await srv.close();
  });
}

export const get = (path: string, headers?: Record<string, string>) => fetch(srv.url + path, { headers });
export const setFault = (fault: object) =>
  fetch(srv.url + '/__fault', { method: 'POST', body: JSON.stringify(fault) });

/** `name{labels} value` lines of an exposition, as a map from `name{labels}` to the value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}
export const scrape = async (url = srv.url) => samples(await (await fetch(url + '/metrics')).text());
export const H = 'fixture_http_request_duration_seconds';
