/**
 * Signals reach vmapd and always end it: through `npm start`, and with a log
 * reader that stopped reading or went away.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { call, cliPath, grpcClient, projectRoot, spawnVmapd, stopChild, type ChildServer } from '../helpers/server.js';

/** Whether a process with `pid` exists (a zombie counts as gone once reaped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** The exit code of `server` after SIGTERM, or a failure if it lingers past `boundMs`. */
async function exitAfterSigterm(server: ChildServer, boundMs: number): Promise<number | null> {
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const lingered = new Promise<'lingered'>((resolve) => (timer = setTimeout(() => resolve('lingered'), boundMs)));
  const outcome = await Promise.race([server.exited, lingered]);
  clearTimeout(timer);
  if (outcome === 'lingered') {
    server.child.kill('SIGKILL');
    await server.exited;
    assert.fail(`vmapd was still running ${boundMs} ms after SIGTERM`);
  }
  return outcome;
}

/** Lets the log pile up: 20,000 allocations at debug level write megabytes of log lines. */
async function writeManyLogLines(server: ChildServer): Promise<void> {
  const client = grpcClient(server.grpcPort);
  try {
    const requests = Array.from({ length: 10000 }, () => ({ size: '4096', caller: 'log-filler' }));
    for (let i = 0; i < 2; i++) await call(client, 'AllocBatch', { requests });
  } finally {
    client.close();
  }
}

describe('signals', () => {
  it('SIGTERM to the pid `npm start` started stops vmapd itself', async () => {
    const root = projectRoot();
    const server = await spawnVmapd([], {
      entry: ['npm', 'start', '--silent', '--'],
      cwd: root,
      // npm runs `node` from PATH: the one running this test.
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      timeoutMs: 60000,
    });
    const pid = server.logs.find((l) => l.msg === 'vmapd listening')?.pid;
    try {
      assert.equal(typeof pid, 'number', 'vmapd logs its pid');
      assert.equal(await exitAfterSigterm(server, 15000), 0);
      assert.equal(alive(pid as number), false, `vmapd (pid ${String(pid)}) still runs after npm start exited`);
      await assert.rejects(fetch(`http://127.0.0.1:${server.httpPort}/healthz`), 'nothing listens on its port any more');
    } finally {
      // An orphan left behind (the failure this test is for) is stopped by its pid.
      if (typeof pid === 'number' && alive(pid)) process.kill(pid, 'SIGKILL');
      await stopChild(server);
    }
  });

  it('SIGTERM ends vmapd within the grace period when nobody reads its log', async () => {
    const server = await spawnVmapd(['--log-level', 'debug', '--shutdown-grace-ms', '2000']);
    server.lines.close();
    server.child.stdout!.pause();
    try {
      await writeManyLogLines(server);
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/meminfo?format=json`);
      assert.equal(((await res.json()) as { nr_areas: number }).nr_areas, 20000, 'a stalled log reader stalls nothing');
      assert.equal(await exitAfterSigterm(server, 2000 + 1000 + 2000), 0);
    } finally {
      await stopChild(server);
    }
  });

  it('SIGTERM during the start stops vmapd cleanly (exit 0), not by the signal', async () => {
    const child = spawn(process.execPath, [cliPath('vmapd'), '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', '--store', 'memory', '--http-threads', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
    const msgs: string[] = [];
    try {
      // The first line (the open-mode warning) comes before the store and the threads start.
      for await (const line of createInterface({ input: child.stdout })) {
        const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
        if (msgs.length === 0) child.kill('SIGTERM');
        msgs.push(msg);
      }
      const [code, signal] = await exited;
      assert.equal(signal, null, `ended by ${signal}; log ${JSON.stringify(msgs)}`);
      assert.equal(code, 0, JSON.stringify(msgs));
      assert.ok(msgs.includes('shutting down'), JSON.stringify(msgs));
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('SIGTERM ends vmapd when its log pipe was closed', async () => {
    const server = await spawnVmapd(['--log-level', 'debug', '--shutdown-grace-ms', '2000']);
    server.lines.close();
    server.child.stdout!.destroy();
    try {
      await writeManyLogLines(server);
      assert.equal(await exitAfterSigterm(server, 2000 + 1000 + 2000), 0);
    } finally {
      await stopChild(server);
    }
  });
});
