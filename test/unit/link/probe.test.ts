/** The probe and the reflector over loopback: caps on both ends, BUSY, and misbehaving peers. */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { probeLink, ProbeError, type ProbeOutcome } from '../../../src/link/probe.js';
import { Reflector, type ProbeServed } from '../../../src/link/reflector.js';

const host = '127.0.0.1';
const MiB = 1024 * 1024;

async function reflectorOn(limits: { maxConcurrent: number; bytes: number; seconds: number }) {
  const served: ProbeServed[] = [];
  const refused: string[] = [];
  const reflector = new Reflector(
    { maxConcurrent: limits.maxConcurrent, caps: { bytes: limits.bytes, seconds: limits.seconds }, maxPings: 8 },
    { served: (p) => served.push(p), refused: (_remote, why) => refused.push(why) },
  );
  const { port } = await reflector.listen(0, host);
  return { reflector, port, served, refused };
}

const measured = (o: ProbeOutcome) => {
  if (o.kind !== 'measured') throw new Error(`expected a measurement, got ${o.kind}`);
  return o.measurement;
};

/** A raw client that asks for a probe and reads the reply line. */
async function holdSlot(port: number, request = 'OFL-LINK/1 PROBE bytes=1048576 seconds=5\n'): Promise<{ socket: Socket; reply: string }> {
  const socket = connect(port, host);
  await once(socket, 'connect');
  socket.write(request);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { socket, reply: chunk.toString() };
}

describe('link probe against the reflector (loopback)', () => {
  let cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  it('measures RTT from the echoes and goodput from a download that stops at the byte cap', async () => {
    const r = await reflectorOn({ maxConcurrent: 2, bytes: 64 * MiB, seconds: 5 });
    cleanup.push(() => r.reflector.close());
    const m = measured(await probeLink({ host, port: r.port }, { caps: { bytes: 4 * MiB, seconds: 5 }, pings: 5, stepTimeoutMs: 2000 }));
    expect(m.bytes).to.equal(4 * MiB);
    expect(m.rttSamplesMs).to.have.length(5);
    expect(m.rttMs).to.be.above(0);
    expect(m.bandwidthBytesPerSecond).to.be.above(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.served.map((s) => s.bytes)).to.deep.equal([4 * MiB]);
    expect(r.reflector.inFlight).to.equal(0);
  });

  it("lowers a request above the reflector's caps to them", async () => {
    const r = await reflectorOn({ maxConcurrent: 2, bytes: 1 * MiB, seconds: 5 });
    cleanup.push(() => r.reflector.close());
    const m = measured(await probeLink({ host, port: r.port }, { caps: { bytes: 64 * MiB, seconds: 5 }, pings: 1, stepTimeoutMs: 2000 }));
    expect(m.granted).to.deep.equal({ bytes: 1 * MiB, seconds: 5 });
    expect(m.bytes).to.equal(1 * MiB);
  });

  it('tells a probe beyond max-concurrent BUSY, and serves again once a slot frees', async () => {
    const r = await reflectorOn({ maxConcurrent: 1, bytes: 64 * MiB, seconds: 5 });
    cleanup.push(() => r.reflector.close());
    const held = await holdSlot(r.port);
    expect(held.reply).to.match(/^READY bytes=1048576 seconds=5/);
    const outcome = await probeLink({ host, port: r.port }, { caps: { bytes: MiB, seconds: 1 }, pings: 1, stepTimeoutMs: 2000 });
    expect(outcome).to.deep.equal({ kind: 'busy', retryAfterMs: 5000 });
    expect(r.refused).to.have.length(1);
    held.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(measured(await probeLink({ host, port: r.port }, { caps: { bytes: MiB, seconds: 1 }, pings: 1, stepTimeoutMs: 2000 })).bytes).to.equal(MiB);
  });

  it('ends a download at its seconds cap when the agent reads too slowly', async () => {
    const r = await reflectorOn({ maxConcurrent: 1, bytes: 1024 * MiB, seconds: 0.5 });
    cleanup.push(() => r.reflector.close());
    const held = await holdSlot(r.port, 'OFL-LINK/1 PROBE bytes=1073741824 seconds=30\n');
    held.socket.write('DOWNLOAD\n');
    held.socket.pause(); // reads nothing: the reflector's writes block
    cleanup.push(() => void held.socket.destroy());
    const startedAt = performance.now();
    while (r.served.length === 0 && performance.now() - startedAt < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(performance.now() - startedAt).to.be.within(450, 1000);
    expect(r.served).to.have.length(1);
    expect(r.served[0]!.bytes).to.be.below(1024 * MiB);
  });

  it('drops a connection that does not speak the protocol', async () => {
    const r = await reflectorOn({ maxConcurrent: 1, bytes: MiB, seconds: 1 });
    cleanup.push(() => r.reflector.close());
    const socket = connect(r.port, host);
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\n\r\n');
    socket.resume();
    await once(socket, 'close');
    expect(r.refused[0]).to.include('not a OFL-LINK/1 probe request');
    expect(r.reflector.inFlight).to.equal(0);
  });

  describe('against a reflector that ignores the caps', () => {
    let server: Server;
    let port: number;
    /** Grants 1 GiB for 30 s whatever was asked, then sends `send` for the download. */
    function rogue(send: (s: Socket) => void): Promise<void> {
      server = createServer((s) => {
        s.on('error', () => undefined);
        let buffered = '';
        s.on('data', (d) => {
          buffered += d.toString();
          if (buffered.includes('PROBE') && !buffered.includes('READY-SENT')) {
            buffered += 'READY-SENT';
            s.write('READY bytes=1073741824 seconds=30\n');
          }
          for (const m of buffered.matchAll(/PING (\d+)\n/g)) s.write(`PONG ${m[1]}\n`);
          buffered = buffered.replace(/PING \d+\n/g, '');
          if (buffered.includes('DOWNLOAD')) {
            buffered = buffered.replace('DOWNLOAD', '');
            send(s);
          }
        });
      });
      cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return new Promise((resolve) => server.listen(0, host, () => ((port = (server.address() as AddressInfo).port), resolve())));
    }

    it('counts no more than its byte cap', async () => {
      await rogue((s) => s.end(Buffer.alloc(3 * MiB)));
      const m = measured(await probeLink({ host, port }, { caps: { bytes: MiB, seconds: 5 }, pings: 1, stepTimeoutMs: 2000 }));
      expect(m.granted).to.deep.equal({ bytes: MiB, seconds: 5 });
      expect(m.bytes).to.equal(MiB);
    });

    it('stops reading at its seconds cap', async () => {
      const timers: NodeJS.Timeout[] = [];
      cleanup.push(() => timers.forEach(clearInterval));
      await rogue((s) => timers.push(setInterval(() => !s.destroyed && s.write(Buffer.alloc(16 * 1024)), 20)));
      const startedAt = performance.now();
      const m = measured(await probeLink({ host, port }, { caps: { bytes: 64 * MiB, seconds: 0.6 }, pings: 1, stepTimeoutMs: 2000 }));
      expect(performance.now() - startedAt).to.be.below(1500);
      expect(m.seconds).to.be.at.most(0.65);
      expect(m.bytes).to.be.below(64 * MiB);
      expect(m.bandwidthBytesPerSecond).to.be.within(400_000, 1_200_000); // 16 KiB every 20 ms
    });
  });

  it('fails with Unreachable when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err = await probeLink({ host, port }, { caps: { bytes: MiB, seconds: 1 }, pings: 1, stepTimeoutMs: 2000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ProbeError);
    expect((err as ProbeError).reason).to.equal('Unreachable');
  });
});
