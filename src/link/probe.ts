/**
 * One probe of the link to a reflector (protocol.ts): RTT as the median of a few small echo round
 * trips on an idle connection, then goodput as the steady-state rate of a download bounded by a
 * byte cap and a seconds cap. The agent enforces both caps itself, whatever the reflector sends.
 */
import { connect, type Socket } from 'node:net';
import { steadyStateGoodput, median, type Arrival } from './goodput.js';
import { formatRequest, MAX_LINE_BYTES, parseReply, ProtocolError, type ProbeRequest, type ReflectorReply } from './protocol.js';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

export interface ProbeOptions {
  /** The byte and seconds caps of the download. */
  readonly caps: ProbeRequest;
  /** Echo round trips for the RTT. */
  readonly pings: number;
  /** Connecting, the reflector's reply and each echo must each take less than this. */
  readonly stepTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface LinkMeasurement {
  readonly bandwidthBytesPerSecond: number;
  readonly rttMs: number;
  readonly rttSamplesMs: readonly number[];
  /** Bytes the download moved (never above the cap). */
  readonly bytes: number;
  /** The download's duration from request to its last byte, seconds. */
  readonly seconds: number;
  /** The caps the reflector granted. */
  readonly granted: ProbeRequest;
}

export type ProbeOutcome =
  | { readonly kind: 'measured'; readonly measurement: LinkMeasurement }
  | { readonly kind: 'busy'; readonly retryAfterMs: number };

/** Why a probe failed, in words for the NodeLink's lastError and the log. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(
    /** A short machine reason: Unreachable, Timeout, Protocol, TooShort, Aborted. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PINGS = 5;

/** Reads control lines off a socket until detached; data after the last line is kept. */
class LineReader {
  private buffer = '';
  private waiting: ((line: string) => void) | undefined;
  private failed: Error | undefined;
  private failWaiter: ((err: Error) => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    this.deliver();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
  }

  fail(err: Error): void {
    this.failed ??= err;
    this.failWaiter?.(err);
  }

  next(timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      const timer = setTimeout(() => reject(new ProbeError('Timeout', `no ${what} from the reflector within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.failWaiter = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      this.deliver();
    });
  }

  /** Stops reading lines; returns the bytes received after the last line. */
  detach(): number {
    this.socket.off('data', this.onData);
    return Buffer.byteLength(this.buffer, 'latin1');
  }

  private deliver(): void {
    const nl = this.buffer.indexOf('\n');
    if (nl < 0) {
      if (this.buffer.length > MAX_LINE_BYTES) this.fail(new ProbeError('Protocol', 'the reflector sent a line too long to be ours'));
      return;
    }
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    this.failWaiter = undefined;
    const line = this.buffer.slice(0, nl);
    this.buffer = this.buffer.slice(nl + 1);
    waiting(line);
  }
}

function open(target: ProbeTarget, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeError('Timeout', `cannot connect to the reflector ${target.host}:${target.port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ProbeError('Unreachable', `cannot connect to the reflector ${target.host}:${target.port}: ${err.code ?? err.message}`));
    });
  });
}

/** Downloads up to the granted caps; the arrival timeline starts at the first byte. */
function download(socket: Socket, granted: ProbeRequest, alreadyReceived: number): Promise<{ arrivals: Arrival[]; bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const requestedAt = performance.now();
    let firstAt = 0;
    let bytes = 0;
    const arrivals: Arrival[] = [];
    const count = (n: number): void => {
      const now = performance.now();
      if (firstAt === 0) firstAt = now;
      bytes = Math.min(granted.bytes, bytes + n);
      arrivals.push({ atMs: now - firstAt, totalBytes: bytes });
      if (bytes >= granted.bytes) finish();
    };
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      const lastAt = firstAt === 0 ? requestedAt : firstAt + (arrivals[arrivals.length - 1]?.atMs ?? 0);
      resolve({ arrivals, bytes, seconds: (lastAt - requestedAt) / 1000 });
    };
    const onData = (chunk: Buffer): void => count(chunk.length);
    // The seconds cap holds even if the reflector ignores it: stop reading and keep what arrived.
    const timer = setTimeout(finish, granted.seconds * 1000);
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof ProbeError ? err : new ProbeError('Unreachable', `download from the reflector failed: ${err.message}`));
    });
    socket.write('DOWNLOAD\n');
    if (alreadyReceived > 0) count(alreadyReceived);
  });
}

/** Probes the link to the reflector once. Rejects with a ProbeError. */
export async function probeLink(target: ProbeTarget, options: ProbeOptions): Promise<ProbeOutcome> {
  const { caps, stepTimeoutMs, signal } = options;
  if (signal?.aborted) throw new ProbeError('Aborted', 'probe cancelled');
  const socket = await open(target, stepTimeoutMs);
  const onAbort = (): void => {
    socket.destroy(new ProbeError('Aborted', 'probe cancelled'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const reader = new LineReader(socket);
  socket.on('error', (err) => reader.fail(err instanceof ProbeError ? err : new ProbeError('Unreachable', `connection to the reflector failed: ${err.message}`)));
  socket.on('close', () => reader.fail(new ProbeError('Protocol', 'the reflector closed the connection')));
  try {
    socket.write(formatRequest(caps));
    let reply: ReflectorReply;
    try {
      reply = parseReply(await reader.next(stepTimeoutMs, 'reply'));
    } catch (err) {
      if (err instanceof ProtocolError) throw new ProbeError('Protocol', err.message);
      throw err;
    }
    if (reply.kind === 'busy') return { kind: 'busy', retryAfterMs: reply.retryAfterMs };
    // Both caps hold on this side too: a reflector granting more than asked is capped here.
    const granted = { bytes: Math.min(reply.bytes, caps.bytes), seconds: Math.min(reply.seconds, caps.seconds) };

    const rttSamplesMs: number[] = [];
    for (let k = 0; k < options.pings; k++) {
      const sentAt = performance.now();
      socket.write(`PING ${k}\n`);
      const line = await reader.next(stepTimeoutMs, `echo ${k}`);
      if (line.trim() !== `PONG ${k}`) throw new ProbeError('Protocol', `expected "PONG ${k}" from the reflector, got "${line.slice(0, 80)}"`);
      rttSamplesMs.push(performance.now() - sentAt);
    }

    const { arrivals, bytes, seconds } = await download(socket, granted, reader.detach());
    const goodput = steadyStateGoodput(arrivals);
    if (!goodput || goodput.bytesPerSecond <= 0) throw new ProbeError('TooShort', `the download moved ${bytes} bytes in too few steps to measure a rate (raise the byte cap)`);
    return {
      kind: 'measured',
      measurement: {
        bandwidthBytesPerSecond: Math.round(goodput.bytesPerSecond),
        rttMs: median(rttSamplesMs) ?? 0,
        rttSamplesMs,
        bytes,
        seconds,
        granted,
      },
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}
