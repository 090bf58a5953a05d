/**
 * A TCP proxy in front of a PostgreSQL server that can break one commit on
 * purpose: the network failing at the worst moment, between a COMMIT and its
 * answer, which a real outage hits only by chance.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A simple-protocol Query message holding exactly `COMMIT` ('Q', int32 length 11, the text, NUL). */
const COMMIT_MESSAGE = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 11]), Buffer.from('COMMIT\0', 'latin1')]);

/**
 * What happens to the next COMMIT: `lose-answer` passes it on and then cuts
 * the client off (the server commits; the client never hears so);
 * `swallow` cuts both sides without passing it on (the server rolls back).
 */
export type CommitFault = 'lose-answer' | 'swallow';

export class PostgresProxy {
  private fault: { mode: CommitFault; fired: () => void } | undefined;
  private refusing = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 (an ephemeral port) and forwards to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<PostgresProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    const proxy = new PostgresProxy(server, address.port);
    server.on('connection', (client) => proxy.relay(client, targetPort));
    return proxy;
  }

  /** The URL of database `name` through the proxy. */
  url(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Arms `mode` for the next COMMIT on any connection; resolves once it has struck. */
  failNextCommit(mode: CommitFault): Promise<void> {
    return new Promise((resolve) => (this.fault = { mode, fired: resolve }));
  }

  /** Cuts every connection open now, both sides (the network between a client and PostgreSQL gone). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** While on, new connections are cut at once (PostgreSQL unreachable). */
  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  private relay(client: Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    let cut = false;
    // Once cut on purpose, the server side is ended, not reset (a reset could drop the COMMIT it has yet to read).
    client.on('close', () => {
      if (!cut) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('data', (d: Buffer) => {
      const fault = this.fault;
      if (fault === undefined || !d.includes(COMMIT_MESSAGE)) {
        upstream.write(d);
        return;
      }
      this.fault = undefined;
      cut = true;
      upstream.removeAllListeners('data');
      client.removeAllListeners('data');
      // end(), not destroy(): the server must read what was sent, up to EOF, in order.
      if (fault.mode === 'lose-answer') upstream.end(d);
      else upstream.end();
      client.destroy();
      fault.fired();
    });
  }

  /** Stops listening and cuts every relayed connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}
