/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a fresh temporary
 * directory (as the `postgres` user when the tests run as root, since
 * PostgreSQL refuses to run as root), the postmaster started directly as a
 * child of this process so it is stopped by its own pid, listening on
 * 127.0.0.1 only on an ephemeral port, and the directory removed afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The newest Debian PostgreSQL's binaries, or undefined when none is installed. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const binDir = findBinDir();

/**
 * Why the PostgreSQL tests cannot run here, or false when they can. In CI the
 * binaries are installed (.ci/run), so there a missing one is a failure, not a skip.
 */
export const postgresSkip: string | false =
  binDir === undefined && process.env.CI !== 'true' ? 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; .ci/run installs Debian\'s postgresql)' : false;

/** The uid and gid the cluster runs as: `postgres` when we are root, else ourselves. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A port no one listens on now: bind port 0, read it, let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Polls `condition` every `everyMs` until it holds, failing after `timeoutMs` with `what`. */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A running (or stopped, for a while) throwaway cluster. */
export class TestPostgres {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  /** The last lines the postmaster wrote, for a failure's message. */
  private log = '';
  private databases = 0;

  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** Makes a new cluster in a temporary directory and starts it. */
  static async start(): Promise<TestPostgres> {
    if (binDir === undefined) throw new Error('PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb');
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-pg-'));
    const user = clusterUser();
    if (user !== undefined) chownSync(dir, user.uid, user.gid);
    const cluster = new TestPostgres(dir, await freePort(), user);
    try {
      // --no-sync: only initdb's own fsyncs of the template files; the running server fsyncs as usual.
      execFileSync(join(binDir, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(user ?? {}),
      });
      await cluster.resume();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The URL of database `name` on this cluster. */
  url(name = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Creates a fresh, empty database and returns its URL. */
  async createDatabase(): Promise<string> {
    const name = `vmapd_test_${++this.databases}`;
    await this.sql(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** Runs `text` on database `url` (default: the cluster's `postgres` database) and returns its rows. */
  async sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = [], url = this.url()): Promise<R[]> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Whether the postmaster this object started is running. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the postmaster (again, after pause) on the same directory and port and waits until it accepts connections; nothing if it runs. */
  async resume(): Promise<void> {
    if (binDir === undefined) throw new Error('PostgreSQL is not installed');
    if (this.running) return;
    const args = ['-D', this.dataDir, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${this.dir}`, '-c', 'max_connections=50'];
    const child = spawn(join(binDir, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(this.user ?? {}) });
    this.child = child;
    this.exited = once(child, 'exit');
    child.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    await waitFor(`PostgreSQL on port ${this.port} (log: ${this.log})`, async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${this.log}`);
      const probe = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
      try {
        await probe.connect();
        await probe.end();
        return true;
      } catch {
        await probe.end().catch(() => undefined);
        return false;
      }
    });
  }

  /**
   * Stops the postmaster by its pid: `mode` fast (SIGINT: sessions are cut,
   * everything committed is kept) or immediate (SIGQUIT: a crash, recovered
   * from the WAL at the next start); SIGKILL if it lingers.
   */
  async pause(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** Stops the cluster and removes its directory. */
  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
