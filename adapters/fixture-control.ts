// Talks to the fixture targets' fault switch (the demo's fault key, tests, benches).
import { request } from 'undici';

export interface Fault {
  route: string;
  status?: number;
  delayMs?: number;
  body?: string;
}

async function call(method: 'POST' | 'DELETE', url: string, body?: string): Promise<void> {
  const res = await request(url, { method, body, headers: body ? { 'content-type': 'application/json' } : undefined, headersTimeout: 2000, bodyTimeout: 2000 });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
}

export function setFault(baseUrl: string, fault: Fault): Promise<void> {
  return call('POST', new URL('/__fault', baseUrl).toString(), JSON.stringify(fault));
}

export function clearFaults(baseUrl: string, route?: string): Promise<void> {
  const url = new URL('/__fault', baseUrl);
  if (route) url.searchParams.set('route', route);
  return call('DELETE', url.toString());
}
