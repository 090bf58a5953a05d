/**
 * vmapd nodes on one PostgreSQL database, as child processes: started,
 * read over HTTP and gRPC, and the lease row as the database holds it.
 */
import { grpcClient, spawnVmapd, stopChild, type ChildServer, type TestServer } from './server.js';
import type { TestPostgres } from './postgres.js';

/** A running node: its process and a gRPC client. */
export interface Node {
  readonly server: ChildServer;
  readonly client: TestServer['client'];
  /** Its gRPC address, as it advertises it. */
  readonly advertise: string;
  readonly http: string;
}

/** The lease of the tests: short, so that a takeover does not hold a test up. */
export const TEST_LEASE_MS = 1000;

/** Starts a node on `url` with the test lease, or vmapd's default with `leaseMs` 'default' (and `extra` arguments). */
export async function startNode(url: string, extra: string[] = [], leaseMs: number | 'default' = TEST_LEASE_MS): Promise<Node> {
  const lease = leaseMs === 'default' ? [] : ['--lease-ms', String(leaseMs)];
  const server = await spawnVmapd(['--store', 'postgres', '--postgres-url', url, ...lease, ...extra]);
  return { server, client: grpcClient(server.grpcPort), advertise: `127.0.0.1:${server.grpcPort}`, http: `http://127.0.0.1:${server.httpPort}` };
}

/** Closes the client and stops the node by its pid (SIGKILL if it lingers); a node already gone is left alone. */
export async function stopNode(node: Node): Promise<void> {
  node.client.close();
  // A paused node cannot hear SIGTERM.
  node.server.child.kill('SIGCONT');
  await stopChild(node.server);
}

/** `/meminfo?format=json` of `node`, parsed. */
export async function meminfoJson(node: Node): Promise<Record<string, unknown>> {
  const res = await fetch(`${node.http}/meminfo?format=json`);
  if (res.status !== 200) throw new Error(`/meminfo answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** The body of GET `path` on `node`. */
export async function httpText(node: Node, path: string): Promise<string> {
  const res = await fetch(`${node.http}${path}`);
  return res.text();
}

/** The lease as the database holds it. */
export async function leaseRow(pg: TestPostgres, url: string): Promise<{ holder: string; epoch: number; advertise: string }> {
  const rows = await pg.sql<{ holder: string; epoch: string; advertise: string }>('SELECT holder, epoch::text, advertise FROM vmapd_lease', [], url);
  const row = rows[0]!;
  return { holder: row.holder, epoch: Number(row.epoch), advertise: row.advertise };
}

/** The change-log writer id of every term `node` led, from its log. */
export function writersOf(node: Node): string[] {
  return node.server.logs.filter((l) => l.msg === 'took the lease: leading').map((l) => String(l.writer));
}
