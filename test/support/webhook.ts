// A Slack-style incoming-webhook receiver on 127.0.0.1 port 0: answers 503 to the first
// `failFirst` requests (then 200 "ok"), or never answers (`hang`), and keeps every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  body: string;
  json: { text: string; blocks: unknown[] };
  /** Wall clock (Date.now) when the request arrived. */
  at: number;
}

export interface WebhookReceiver {
  /** The webhook URL, with a secret-looking path as Slack's have. */
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export const WEBHOOK_PATH_SECRET = 'XyZ9webhookPathSecret41';

export async function startWebhookReceiver(opts: { failFirst?: number; status?: number; hang?: boolean } = {}): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body, json: JSON.parse(body), at: Date.now() });
      if (opts.hang) return void hanging.add(res);
      if (received.length <= (opts.failFirst ?? 0)) {
        res.writeHead(opts.status ?? 503, { 'content-type': 'text/plain' }).end('service_unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/${WEBHOOK_PATH_SECRET}`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL where nothing listens: a port just freed. */
export async function deadWebhookUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/services/T000/B000/${WEBHOOK_PATH_SECRET}`;
}
