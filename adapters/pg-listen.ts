// Live changes from a PostgreSQL ledger: LISTEN on a connection of its own (a pooled one would
// be handed to queries). A NOTIFY reaches only a connection already listening: whatever was
// appended before that was not announced to it. So each time the LISTEN is in place, the first
// time too (the caller read the run before subscribing, and the LISTEN comes a round trip or
// more later), it calls back once without a run id, and the caller reads again (the catch-up).
// When that connection is lost it reconnects with backoff, and catches up the same way once
// listening again. A lost connection is told at once (a change marked `unreachable`), so that a
// cockpit says so before any write of its own fails.
import type pg from 'pg';
import { LEDGER_RETRY_MS, type LedgerChange } from '../src/engine/ledger-store.js';
import { CHANNEL } from './pg-schema.js';

export class PgListener {
  private client?: pg.Client;
  private closed = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly onChange: (change: LedgerChange) => void,
  ) {
    void this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = this.connect();
    this.client = client;
    let lost = false;
    const again = () => {
      if (lost) return;
      lost = true;
      if (!this.closed) this.onChange({ unreachable: true });
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      this.retry();
    };
    client.on('error', again);
    client.on('end', again);
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL) this.onChange(msg.payload ? { runId: msg.payload } : {});
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch {
      again();
      return;
    }
    if (this.closed) return void client.end().catch(() => {});
    this.attempt = 0;
    this.onChange({});
  }

  private retry(): void {
    if (this.closed) return;
    const delay = LEDGER_RETRY_MS[Math.min(this.attempt++, LEDGER_RETRY_MS.length - 1)];
    this.timer = setTimeout(() => void this.listen(), delay);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    if (c) {
      c.removeAllListeners('end');
      c.removeAllListeners('error');
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
