/**
 * Running the compiled vmapctl as a child process, for the vmapctl tests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { cliPath } from '../helpers/server.js';

/** What one vmapctl run produced. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * This process's environment without any VMAPCTL_* variable, so a target,
 * token or CA set in the shell that runs the tests cannot change what they see.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VMAPCTL_')));
}

/**
 * Runs the compiled vmapctl with `args`, and `env` added to a clean
 * environment. Asynchronous on purpose: the server lives in this process, so
 * a synchronous spawn would deadlock it. The timeout is only a backstop
 * against a hung CLI failing the whole run.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runScript(cliPath('vmapctl'), args, env);
}

/** Runs the node script at `path` with `args` as runCli does, e.g. another copy of vmapd or vmapctl. */
export function runScript(path: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path, ...args], { timeout: 20000, env: { ...cleanEnv(), ...env } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${path} ${args.join(' ')} did not exit normally (${err.signal ?? err.code}): ${stderr}`));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** A port on 127.0.0.1 nothing listens on: bound once to learn it, then released. */
export async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  assert.ok(addr !== null && typeof addr === 'object');
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return addr.port;
}
