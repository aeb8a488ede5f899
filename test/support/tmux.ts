// Drives the real binary in a real terminal: tmux on its own socket, 120x40.
import { execFileSync } from 'node:child_process';

export class Tmux {
  readonly socket = `oc-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly session = 'cockpit';

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Start a command; CI is removed from its environment so Ink draws every frame. */
  start(command: string, opts: { cwd: string; env?: Record<string, string>; width?: number; height?: number }): void {
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    const line = `cd ${shellQuote(opts.cwd)} && exec env -u CI ${env} ${command}`;
    this.tmux(['new-session', '-d', '-s', this.session, '-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40), line]);
    this.tmux(['set-option', '-t', this.session, 'remain-on-exit', 'on']);
  }

  capture(opts: { escapes?: boolean } = {}): string {
    return this.tmux(['capture-pane', '-p', ...(opts.escapes ? ['-e'] : []), '-t', this.session]);
  }

  /** Send keys; text is sent literally (-l), named keys (Enter, Escape) as names. */
  send(...keys: string[]): void {
    for (const k of keys) {
      if (['Enter', 'Escape', 'BSpace', 'C-c', 'Left', 'Right', 'Up', 'Down', 'Tab'].includes(k)) this.tmux(['send-keys', '-t', this.session, k]);
      else this.tmux(['send-keys', '-t', this.session, '-l', k]);
    }
  }

  /** The terminal's new size, as when the operator resizes the window. */
  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', this.session, '-x', String(width), '-y', String(height)]);
  }

  /** A tmux format of the pane, e.g. #{cursor_flag} (1: the cursor shows). */
  display(format: string): string {
    return this.tmux(['display-message', '-p', '-t', this.session, format]).trim();
  }

  paneDead(): boolean {
    try {
      return this.tmux(['display-message', '-p', '-t', this.session, '#{pane_dead}']).trim() === '1';
    } catch {
      return true;
    }
  }

  /** An action as the operator runs it: its key, its confirmation dialog, its word typed and Enter. */
  async confirmAction(key: string, word: string): Promise<void> {
    this.send(key);
    await this.waitFor((s) => s.includes(`Type ${word}`), `the ${word} confirmation`);
    this.send(word, 'Enter');
  }

  /**
   * A key pressed again every `everyMs` until the screen shows what it does: a key typed while a
   * freshly started cockpit is still switching the terminal to raw mode reaches it as a line
   * ending, not as the key (a machine under load makes that moment longer).
   */
  async pressUntil(key: string, test: (screen: string) => boolean, what: string, everyMs = 2000, timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.send(key);
      try {
        return await this.waitFor(test, what, Math.min(everyMs, Math.max(0, end - Date.now())));
      } catch (err) {
        if (Date.now() >= end) throw err;
      }
    }
  }

  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = this.capture();
      if (test(screen)) return screen;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
