/**
 * Shared command-line pieces of the load scripts: bounded numeric options
 * and the target host options (loopback unless a compose service name is
 * allowed explicitly).
 */
import { InvalidArgumentError, Option } from 'commander';
import { ALLOW_HOST_ENV, DEFAULT_TARGET_HOST } from './target.js';

/** A parser for an integer in [min, max]: every loop and duration of a load script has an upper bound. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** A parser for a number of seconds in (0, max]. */
export function secondsUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`must be a number of seconds in (0, ${max}]`);
    return n;
  };
}

/** --host (default 127.0.0.1) and --allow-host, also from LOADTEST_HOST and LOADTEST_ALLOW_HOST. */
export function hostOptions(): Option[] {
  return [
    new Option('--host <host>', 'host vmapd listens on: loopback, or the compose service name given to --allow-host').env('LOADTEST_HOST').default(DEFAULT_TARGET_HOST),
    new Option('--allow-host <name>', 'the one non-loopback host allowed (a docker compose service name such as vmapd)').env(ALLOW_HOST_ENV),
  ];
}

/** `host:port`, with brackets for an IPv6 literal. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether the module at `metaUrl` is the script node was started with (not an import). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  return metaUrl === new URL(`file://${entry}`).href || metaUrl === new URL(`file://${entry}.js`).href;
}
