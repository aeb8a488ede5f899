// A TCP gate in front of the test's PostgreSQL server (127.0.0.1, port 0): connections pass
// through it, and while it is held a new connection is accepted and waits, its bytes unread,
// until the gate opens. So a test can put a deterministic gap before a connection is in place.
// Cut, it is a network gone: every connection through it is dropped, and each new one is
// dropped as it comes, until the gate opens; the server itself (shared by the suite) runs on.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface HeldGate {
  /** `url` with the host and port of the gate. */
  url: string;
  hold(): void;
  /** Drop every connection through the gate, and each new one, until open(). */
  cut(): void;
  open(): void;
  close(): Promise<void>;
}

export async function heldGate(url: URL): Promise<HeldGate> {
  let held = false;
  let cut = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (cut) return void client.destroy();
    sockets.add(client);
    const pass = () => {
      const upstream = connect(Number(url.port), url.hostname);
      sockets.add(upstream);
      const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (held) waiting.push(pass);
    else pass();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((server.address() as AddressInfo).port);
  return {
    url: through.toString(),
    hold: () => void (held = true),
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    open: () => {
      held = false;
      cut = false;
      for (const pass of waiting.splice(0)) pass();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
