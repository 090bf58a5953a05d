/**
 * Which hosts a load script may send traffic to. Load only ever goes to this
 * machine: the loopback range by default, or, for docker compose, the one
 * service name the operator names explicitly (LOADTEST_ALLOW_HOST or
 * --allow-host). IP literals outside loopback and dotted names are refused
 * even then, so the escape hatch cannot point at a real network.
 */
import { isIP } from 'node:net';

/** The host every load script targets unless told otherwise. */
export const DEFAULT_TARGET_HOST = '127.0.0.1';

/** Environment variable naming the one non-loopback host allowed (a compose service name). */
export const ALLOW_HOST_ENV = 'LOADTEST_ALLOW_HOST';

/** Whether `host` is on the loopback range: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Checks `host` against the policy and returns it.
 *
 * @param allowed the host the operator allowed explicitly (flag or env), if any
 * @throws Error when the host is not loopback and not the allowed compose service name
 */
export function checkTargetHost(host: string, allowed: string | undefined): string {
  if (isLoopback(host)) return host;
  if (allowed === undefined || allowed === '' || host !== allowed) {
    throw new Error(
      `refusing to send load to ${host}: only 127.0.0.1/localhost, or a docker compose service name allowed with --allow-host or ${ALLOW_HOST_ENV}`,
    );
  }
  // A compose service name is a single DNS label; anything else may be a real machine.
  if (isIP(host) !== 0 || !/^[a-z0-9][a-z0-9_-]*$/i.test(host)) {
    throw new Error(`refusing to send load to ${host}: the allowed host must be a compose service name (one label, no IP address)`);
  }
  return host;
}
