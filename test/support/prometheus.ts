// A real Prometheus for tests: started on a free loopback port in its own process group,
// scraping what the test names, stopped whole afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free a moment ago; the caller retries if someone takes it meanwhile. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunningPrometheus {
  url: string;
  child: ChildProcess;
  log: () => string;
  exited: Promise<void>;
}

export async function startPrometheus(configFile: string, dataDir: string): Promise<RunningPrometheus> {
  let lastLog = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--storage.tsdb.retention.time=1h`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=info',
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }, // own group: afterAll kills it whole
    );
    let log = '';
    const keep = (c: Buffer) => (log = (log + c.toString()).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let gone = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
    const url = `http://127.0.0.1:${port}`;
    const until = Date.now() + 15_000;
    while (!gone && Date.now() < until) {
      const ready = await fetch(`${url}/-/ready`).then((r) => r.status === 200, () => false);
      if (ready) return { url, child, log: () => log, exited };
      await sleep(100);
    }
    lastLog = log;
    if (!gone) {
      killGroup(child);
      throw new Error(`prometheus did not become ready on ${url} within 15 s:\n${log}`);
    }
    if (!/address already in use/i.test(log)) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
  }
  throw new Error(`prometheus could not find a free port in 3 attempts:\n${lastLog}`);
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function stopPrometheus(p: RunningPrometheus): Promise<void> {
  killGroup(p.child, 'SIGTERM');
  const t = setTimeout(() => killGroup(p.child, 'SIGKILL'), 5_000);
  await p.exited;
  clearTimeout(t);
}


/** prometheus.yml scraping one target every second, and nothing else. */
export function writePrometheusConfig(dir: string, targetPort: number): string {
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: fixture',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${targetPort}']`,
      '',
    ].join('\n'),
  );
  return config;
}

export const PROMETHEUS_MISSING =
  'prometheus is not on PATH. npm test installs it (scripts/test-deps.mjs: apt-get install prometheus, Debian 12: 2.42), or stops and names the command where it cannot.';
