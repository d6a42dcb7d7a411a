/**
 * The NodeLink CRD on a real API server: a full record is stored as the agent wrote it, and a bad
 * status is refused with a message naming the field and what it must be.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../src/kube/client.js';
import type { NodeLink } from '../../src/kube/node-link.js';
import { Resources } from '../../src/kube/resources.js';
import { adminClient, refusal } from './support.js';

type Status = Record<string, unknown>;
const MEASURED = '2026-01-12T09:00:00Z';
const probe = { measuredAt: MEASURED, bandwidthBytesPerSecond: 4.4e6, rttMs: 13.5, bytes: 8_388_608, seconds: 1.9 };
const validStatus = (): Status => ({
  bandwidthBytesPerSecond: 4.625e6,
  rttMs: 12,
  measuredAt: MEASURED,
  lastProbe: { ...probe },
  probes: 12,
  reflector: 'link-reflector.offline-first-system.svc:7070',
  lastError: 'probe at 2026-01-12T08:59:00Z: connection reset by peer',
});
const without = (key: string): Status => Object.fromEntries(Object.entries(validStatus()).filter(([k]) => k !== key));

describe('the NodeLink CRD', () => {
  const suffix = randomBytes(3).toString('hex');
  let client: KubeClient;
  let n = 0;
  const names: string[] = [];
  before(() => {
    client = adminClient();
  });
  after(async () => {
    for (const name of names) await client.delete(Resources.nodeLink, undefined, name).catch(() => undefined);
  });

  /** Creates a record and writes `status` through the status subresource, as the agent does. */
  async function write(status: Status, spec?: unknown): Promise<NodeLink> {
    const name = `ws-${suffix}-${n++}`;
    names.push(name);
    const created = await client.create<NodeLink>(Resources.nodeLink, { metadata: { name }, ...(spec ? { spec: spec as NodeLink['spec'] } : {}) });
    return client.update<NodeLink>(Resources.nodeLink, { ...created, status: status as NodeLink['status'] }, 'status');
  }

  it('stores a full record as written, and spec stays empty', async () => {
    const stored = await write(validStatus(), { bandwidth: '1Gbit/s' });
    expect(stored.status).to.deep.equal(validStatus());
    expect(stored.spec ?? {}).to.deep.equal({});
  });

  it('accepts a record with no estimate yet, only a failure', async () => {
    const stored = await write({ lastError: 'no route to host', reflector: 'dc.example.org:7070', probes: 0 });
    expect(stored.status).to.deep.equal({ lastError: 'no route to host', reflector: 'dc.example.org:7070', probes: 0 });
  });

  const invalid: [string, Status, string][] = [
    ['a negative bandwidth', { ...validStatus(), bandwidthBytesPerSecond: -1 }, 'status.bandwidthBytesPerSecond: Invalid value: -1: bandwidthBytesPerSecond must be above 0 (bytes per second)'],
    ['a bandwidth of 0', { ...validStatus(), bandwidthBytesPerSecond: 0 }, 'bandwidthBytesPerSecond must be above 0'],
    ['a bandwidth as a quantity', { ...validStatus(), bandwidthBytesPerSecond: '37Mbit/s' }, 'status.bandwidthBytesPerSecond: Invalid value: "string": bandwidthBytesPerSecond in body must be of type number'],
    ['a negative RTT', { ...validStatus(), rttMs: -0.5 }, 'status.rttMs: Invalid value: -0.5: rttMs must be 0 or more (milliseconds)'],
    ['a time that is no time', { ...validStatus(), measuredAt: 'yesterday' }, 'status.measuredAt: Invalid value: "yesterday": measuredAt in body must be of type date-time'],
    ['a bandwidth without a time', without('measuredAt'), 'status.measuredAt: Invalid value: measuredAt is required with bandwidthBytesPerSecond; a measurement needs the time it was taken'],
    ['a probe without its size', { ...validStatus(), lastProbe: { ...probe, bytes: undefined } }, 'status.lastProbe.bytes: Required value'],
    ['a probe that took no time', { ...validStatus(), lastProbe: { ...probe, seconds: 0 } }, 'lastProbe.seconds must be above 0'],
    ['a probe with a negative RTT', { ...validStatus(), lastProbe: { ...probe, rttMs: -1 } }, 'lastProbe.rttMs must be 0 or more (milliseconds)'],
    ['a probe of a fractional byte count', { ...validStatus(), lastProbe: { ...probe, bytes: 1.5 } }, 'status.lastProbe.bytes: Invalid value: "float64": lastProbe.bytes in body must be of type int64'],
    ['a negative probe count', { ...validStatus(), probes: -1 }, 'status.probes: Invalid value: -1: probes in body should be greater than or equal to 0'],
    ['a reflector longer than a host name and port', { ...validStatus(), reflector: `${'a'.repeat(255)}:7070` }, 'status.reflector: Too long: may not be more than 259 bytes'],
    ['an error longer than 1024 bytes', { ...validStatus(), lastError: 'x'.repeat(1025) }, 'status.lastError: Too long: may not be more than 1024 bytes'],
  ];
  for (const [what, status, expected] of invalid) {
    it(`refuses ${what}`, async () => {
      const err = await refusal(write(status));
      expect(err.status, err.message).to.equal(422);
      expect(err.message).to.contain(expected);
    });
  }
});
