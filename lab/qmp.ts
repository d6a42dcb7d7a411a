/**
 * A minimal QMP client over a unix socket: greeting, capability negotiation, commands matched to
 * replies by id, and events kept with QEMU's own timestamps (MIGRATION_PASS timing relies on them).
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface QmpEvent {
  readonly event: string;
  readonly data: JsonObject;
  /** Wall-clock time QEMU stamped on the event, in ms since the epoch. */
  readonly atMs: number;
}

export class QmpError extends Error {
  override readonly name = 'QmpError';
}

interface Pending {
  resolve(value: Json): void;
  reject(err: Error): void;
}

export class QmpClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private nextId = 0;
  private buffer = '';
  private closedError: Error | undefined;
  private greetingWaiter: Pending | undefined;
  /** Created before any data can arrive, so the greeting cannot be missed. */
  private readonly greeted = new Promise<Json>((resolve, reject) => {
    this.greetingWaiter = { resolve, reject };
  });

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new QmpError('QMP socket closed (QEMU exited?)')));
  }

  /** Connects, retrying while QEMU has not created the socket yet, and negotiates capabilities. */
  static async open(path: string, timeoutMs = 20000): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        await client.greeted;
        await client.execute('qmp_capabilities');
        return client;
      } catch (err) {
        if (Date.now() > deadline) throw new QmpError(`cannot open QMP socket ${path}: ${String(err)}`);
        await sleep(100);
      }
    }
  }

  async execute(command: string, args?: JsonObject): Promise<Json> {
    if (this.closedError) throw this.closedError;
    const id = String(this.nextId++);
    const reply = new Promise<Json>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + '\n');
    return reply;
  }

  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(JSON.parse(line) as JsonObject);
    }
  }

  private onMessage(msg: JsonObject): void {
    if ('QMP' in msg) {
      this.greetingWaiter?.resolve(msg);
      this.greetingWaiter = undefined;
      return;
    }
    if (typeof msg['event'] === 'string') {
      const ts = msg['timestamp'] as { seconds?: number; microseconds?: number } | undefined;
      const atMs = ts ? (ts.seconds ?? 0) * 1000 + (ts.microseconds ?? 0) / 1000 : Date.now();
      const event: QmpEvent = { event: msg['event'], data: (msg['data'] as JsonObject | undefined) ?? {}, atMs };
      for (const l of this.listeners) l(event);
      return;
    }
    const id = typeof msg['id'] === 'string' ? msg['id'] : undefined;
    const waiter = id === undefined ? undefined : this.pending.get(id);
    if (!waiter || id === undefined) return;
    this.pending.delete(id);
    const error = msg['error'] as { class?: string; desc?: string } | undefined;
    if (error) waiter.reject(new QmpError(`${error.class ?? 'Error'}: ${error.desc ?? 'unknown QMP error'}`));
    else waiter.resolve(msg['return'] ?? null);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    this.greetingWaiter?.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
