import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * Fails like a listen would if another process holds `host:port`: binds it
 * exclusively (no SO_REUSEPORT) and lets it go. Run before threads listen
 * with SO_REUSEPORT, which would otherwise let a second vmapd share the port.
 */
export async function probePort(host: string, port: number): Promise<void> {
  const server = createServer();
  server.listen({ host, port, exclusive: true });
  await once(server, 'listening');
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
