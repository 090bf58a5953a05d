/**
 * A TCP proxy in front of a gRPC server that can lose one reply on purpose:
 * it passes a call on, and when the server's answer starts (its HEADERS
 * frame, sent only once the server has done the work) it cuts the client
 * off instead, so the client cannot know whether its call was applied. It
 * can also hold new connections until told to go on (a server restarting).
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** HTTP/2 frame type HEADERS (RFC 9113 §6.2). */
const HEADERS = 0x1;
/** Every HTTP/2 frame starts with 9 bytes: length (24 bits), type, flags, stream id (31 bits). */
const FRAME_HEADER = 9;

export class GrpcProxy {
  private cutNext: (() => void) | undefined;
  private holding = false;
  private readonly held: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private targetPort: number,
  ) {}

  /** Listens on 127.0.0.1 (an ephemeral port) and forwards to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<GrpcProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    const proxy = new GrpcProxy(server, address.port, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `host:port` of the proxy, as a gRPC target. */
  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Arms the cut: the next reply to start on any connection is dropped and
   * that connection cut, and from then on new connections are held (as
   * `hold()`). Resolves once it has struck.
   */
  cutNextReply(): Promise<void> {
    return new Promise((resolve) => (this.cutNext = resolve));
  }

  /** New connections wait, unanswered, until `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** Forwards the held connections, and every new one, to 127.0.0.1:`targetPort` (default: as before). */
  release(targetPort = this.targetPort): void {
    this.targetPort = targetPort;
    this.holding = false;
    for (const client of this.held.splice(0)) this.relay(client);
  }

  private accept(client: Socket): void {
    this.connections++;
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    if (this.holding) {
      client.pause();
      this.held.push(client);
    } else {
      this.relay(client);
    }
  }

  private relay(client: Socket): void {
    const upstream = createConnection(this.targetPort, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    client.resume();
    // Frame by frame from the server, so a reply's first frame can be caught whole.
    let pending = Buffer.alloc(0);
    upstream.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= FRAME_HEADER) {
        const size = FRAME_HEADER + pending.readUIntBE(0, 3);
        if (pending.length < size) break;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        const stream = frame.readUInt32BE(5) & 0x7fffffff;
        const cut = this.cutNext;
        if (cut !== undefined && frame[3] === HEADERS && stream !== 0) {
          this.cutNext = undefined;
          this.holding = true;
          client.destroy();
          upstream.destroy();
          cut();
          return;
        }
        client.write(frame);
      }
    });
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}
