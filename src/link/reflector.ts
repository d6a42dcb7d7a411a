/**
 * The reflector: the data-centre end of the link probes (protocol.ts). It bounds its own load
 * whatever the agents do: at most `maxConcurrent` probes at once (others get BUSY and back off),
 * each probe's download within its byte and seconds caps, each connection's whole life within
 * `seconds + HANDSHAKE_MS`, and a connection that sends nothing useful dropped after HANDSHAKE_MS.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { formatReply, grant, MAX_LINE_BYTES, parseRequest, ProtocolError, type ProbeRequest } from './protocol.js';

export interface ReflectorLimits {
  readonly maxConcurrent: number;
  /** The most a probe may ask for; requests above are lowered to these. */
  readonly caps: ProbeRequest;
  /** Echo round trips allowed per probe. */
  readonly maxPings: number;
}

/** Time for the request and the echoes, on top of the download's seconds cap. */
export const HANDSHAKE_MS = 10_000;
const BLOCK = Buffer.alloc(64 * 1024, 0x5a);

export interface ProbeServed {
  readonly remote: string;
  readonly bytes: number;
  readonly seconds: number;
}

export interface ReflectorEvents {
  served(p: ProbeServed): void;
  refused(remote: string, why: string): void;
}

export class Reflector {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private active = 0;

  constructor(
    private readonly limits: ReflectorLimits,
    private readonly events: ReflectorEvents,
  ) {}

  /** Probes being served right now. */
  get inFlight(): number {
    return this.active;
  }

  listen(port: number, host?: string): Promise<{ port: number }> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : port });
      });
    });
  }

  /** Stops accepting and ends every probe in flight. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // a vanished agent is not the reflector's problem
    let holdsSlot = false;
    let lifetime = setTimeout(() => socket.destroy(), HANDSHAKE_MS);
    socket.once('close', () => {
      clearTimeout(lifetime);
      this.sockets.delete(socket);
      if (holdsSlot) this.active--;
    });

    let buffer = '';
    let granted: ProbeRequest | undefined;
    let pings = 0;
    const refuse = (why: string): void => {
      this.events.refused(remote, why);
      socket.destroy();
    };
    const onLine = (line: string): void => {
      if (!granted) {
        let request: ProbeRequest;
        try {
          request = parseRequest(line);
        } catch (err) {
          return refuse(err instanceof ProtocolError ? err.message : String(err));
        }
        if (this.active >= this.limits.maxConcurrent) {
          this.events.refused(remote, `busy (${this.active} probes in flight)`);
          socket.end(formatReply({ kind: 'busy', retryAfterMs: this.limits.caps.seconds * 1000 }));
          return;
        }
        this.active++;
        holdsSlot = true;
        granted = grant(request, this.limits.caps);
        clearTimeout(lifetime);
        lifetime = setTimeout(() => socket.destroy(), HANDSHAKE_MS + granted.seconds * 1000);
        socket.write(formatReply({ kind: 'ready', ...granted }));
        return;
      }
      const ping = /^PING (\d{1,6})$/.exec(line.trim());
      if (ping) {
        if (++pings > this.limits.maxPings) return refuse(`more than ${this.limits.maxPings} echoes`);
        socket.write(`PONG ${ping[1]}\n`);
        return;
      }
      if (line.trim() === 'DOWNLOAD') {
        socket.off('data', onData);
        this.send(socket, granted, remote);
        return;
      }
      refuse(`unexpected line "${line.slice(0, 40)}"`);
    };
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1');
      for (let nl = buffer.indexOf('\n'); nl >= 0 && !socket.destroyed; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        onLine(line);
        if (!socket.readable || socket.listenerCount('data') === 0) return;
      }
      if (buffer.length > MAX_LINE_BYTES) refuse('line too long');
    };
    socket.on('data', onData);
  }

  /** Streams the granted bytes with backpressure; stops at the seconds cap. */
  private send(socket: Socket, granted: ProbeRequest, remote: string): void {
    const startedAt = performance.now();
    const deadline = startedAt + granted.seconds * 1000;
    let sent = 0;
    let finished = false;
    const finish = (): void => {
      finished = true;
      socket.off('drain', pump);
      this.events.served({ remote, bytes: sent, seconds: (performance.now() - startedAt) / 1000 });
    };
    const done = (): void => {
      if (finished) return;
      finish();
      socket.end();
    };
    const pump = (): void => {
      while (sent < granted.bytes) {
        if (performance.now() >= deadline || socket.destroyed) return done();
        const n = Math.min(BLOCK.length, granted.bytes - sent);
        sent += n;
        if (!socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) return;
      }
      done();
    };
    socket.on('drain', pump);
    // The seconds cap also holds while the socket is blocked on a slow agent.
    const timer = setTimeout(() => {
      if (finished) return;
      finish();
      socket.destroy();
    }, granted.seconds * 1000 + 50);
    socket.once('close', () => clearTimeout(timer));
    pump();
  }
}
