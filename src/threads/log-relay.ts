import type { Logger } from 'pino';

/**
 * Writes a reader thread's pino line with the writer's logger, at its level,
 * fields kept: one stream and one format for every thread.
 */
export function relayLog(logger: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = entry;
  const label = typeof level === 'number' ? logger.levels.labels[level] : undefined;
  if (label === undefined || !(label in logger)) return;
  (logger as unknown as Record<string, (obj: object, msg?: string) => void>)[label]!(fields, typeof msg === 'string' ? msg : undefined);
}
