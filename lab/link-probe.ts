/**
 * Measures the TCP goodput of the shaped link, run inside the namespaces by the runner:
 *
 *   node link-probe.js sink HOST PORT      prints "listening", then one JSON line when the sender ends
 *   node link-probe.js send HOST PORT SEC  sends as fast as TCP allows for SEC seconds
 *
 * The sink ignores the first second: tbf's burst and the empty queue let a short spike through
 * that a long migration stream never sees.
 */
import { createConnection, createServer } from 'node:net';

const WARMUP_MS = 1000;

function sink(host: string, port: number): void {
  const server = createServer((socket) => {
    let first = 0;
    let bytes = 0;
    let warmBytes = 0;
    let warmAt = 0;
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      if (first === 0) first = now;
      bytes += chunk.length;
      if (warmAt === 0 && now - first >= WARMUP_MS) {
        warmAt = now;
        warmBytes = bytes;
      }
    });
    socket.on('end', () => {
      const end = performance.now();
      const seconds = warmAt ? (end - warmAt) / 1000 : (end - first) / 1000;
      const measured = warmAt ? bytes - warmBytes : bytes;
      process.stdout.write(
        JSON.stringify({ bytes, seconds: (end - first) / 1000, goodputBytesPerSecond: Math.round(measured / seconds) }) + '\n',
      );
      server.close();
    });
  });
  server.listen(port, host, () => process.stdout.write('listening\n'));
}

function send(host: string, port: number, seconds: number): void {
  const block = Buffer.alloc(256 * 1024, 0xa5);
  const socket = createConnection(port, host, () => {
    const until = performance.now() + seconds * 1000;
    const pump = (): void => {
      while (performance.now() < until) {
        if (!socket.write(block)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
  socket.on('error', (err) => {
    process.stderr.write(`link-probe send: ${err.message}\n`);
    process.exitCode = 1;
  });
}

// The runner may be gone (interrupted) by the time the result is written: no crash for that.
process.stdout.on('error', () => undefined);

const [mode, host, port, seconds] = process.argv.slice(2);
if (mode === 'sink' && host && port) sink(host, Number(port));
else if (mode === 'send' && host && port && seconds) send(host, Number(port), Number(seconds));
else {
  process.stderr.write('usage: link-probe.js sink HOST PORT | send HOST PORT SECONDS\n');
  process.exitCode = 2;
}
