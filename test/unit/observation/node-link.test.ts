/**
 * A NodeLink's link measurement: a record with an estimate is parsed, one without gives {} (no value,
 * no error), and a bad one gives an error naming the record and the field. Nothing here throws.
 */
import { expect } from 'chai';
import type { NodeLink, NodeLinkStatus } from '../../../src/kube/node-link.js';
import { Annotations, linkFromAnnotations } from '../../../src/observation/annotations.js';
import { linkFromNodeLink } from '../../../src/observation/node-link.js';

const MEASURED = '2026-01-12T09:00:00Z';
const MEASURED_MS = Date.UTC(2026, 0, 12, 9, 0, 0);
const record = (status?: Record<string, unknown>, name = 'ws-01'): NodeLink => ({ metadata: { name }, ...(status ? { status: status as NodeLinkStatus } : {}) });

describe('linkFromNodeLink', () => {
  const valid: [string, Record<string, unknown>, object][] = [
    ['bandwidth, RTT and measurement time', { bandwidthBytesPerSecond: 4.625e6, rttMs: 12, measuredAt: MEASURED }, { bandwidthBytesPerSecond: 4.625e6, rttMs: 12, measuredAtMs: MEASURED_MS }],
    ['a time with an offset', { bandwidthBytesPerSecond: 2.5e6, measuredAt: '2026-01-12T10:00:00+01:00' }, { bandwidthBytesPerSecond: 2.5e6, measuredAtMs: MEASURED_MS }],
    ['no RTT: the estimate has none', { bandwidthBytesPerSecond: 12.5e6, measuredAt: MEASURED }, { bandwidthBytesPerSecond: 12.5e6, measuredAtMs: MEASURED_MS }],
    ['an RTT of 0 ms (a client in the server room)', { bandwidthBytesPerSecond: 125e6, rttMs: 0, measuredAt: MEASURED }, { bandwidthBytesPerSecond: 125e6, rttMs: 0, measuredAtMs: MEASURED_MS }],
    [
      'the estimate, not the last probe, nor a failure since',
      {
        bandwidthBytesPerSecond: 4e6,
        rttMs: 20,
        measuredAt: MEASURED,
        lastProbe: { measuredAt: '2026-01-12T09:05:00Z', bandwidthBytesPerSecond: 1e6, rttMs: 90, bytes: 1e6, seconds: 1 },
        probes: 7,
        reflector: 'reflector.offline-first-system.svc:7070',
        lastError: 'connection reset',
      },
      { bandwidthBytesPerSecond: 4e6, rttMs: 20, measuredAtMs: MEASURED_MS },
    ],
  ];
  for (const [what, status, link] of valid) {
    it(`reads ${what}`, () => expect(linkFromNodeLink(record(status))).to.deep.equal({ value: link }));
  }

  const missing: [string, Record<string, unknown> | undefined][] = [
    ['no status: the agent has not written yet', undefined],
    ['an empty status', {}],
    ['only a failure: no probe has succeeded yet', { lastError: 'no route to host', reflector: 'dc:7070' }],
    ['RTT and time without a bandwidth', { rttMs: 12, measuredAt: MEASURED }],
  ];
  for (const [what, status] of missing) {
    it(`gives no value and no error for ${what}`, () => expect(linkFromNodeLink(record(status))).to.deep.equal({}));
  }

  const errors: [string, Record<string, unknown>, string][] = [
    ['a negative bandwidth', { bandwidthBytesPerSecond: -1, measuredAt: MEASURED }, 'NodeLink ws-01 status.bandwidthBytesPerSecond: expected a number above 0, got -1'],
    ['a bandwidth of 0', { bandwidthBytesPerSecond: 0, measuredAt: MEASURED }, 'NodeLink ws-01 status.bandwidthBytesPerSecond: expected a number above 0, got 0'],
    ['a bandwidth written as a quantity', { bandwidthBytesPerSecond: '37Mbit/s', measuredAt: MEASURED }, 'NodeLink ws-01 status.bandwidthBytesPerSecond: expected a number above 0, got "37Mbit/s"'],
    ['a bandwidth of null', { bandwidthBytesPerSecond: null, measuredAt: MEASURED }, 'NodeLink ws-01 status.bandwidthBytesPerSecond: expected a number above 0, got null'],
    ['a negative RTT', { bandwidthBytesPerSecond: 1e6, rttMs: -3, measuredAt: MEASURED }, 'NodeLink ws-01 status.rttMs: expected a number of milliseconds, 0 or more, got -3'],
    ['an RTT written as a duration', { bandwidthBytesPerSecond: 1e6, rttMs: '12ms', measuredAt: MEASURED }, 'NodeLink ws-01 status.rttMs: expected a number of milliseconds, 0 or more, got "12ms"'],
    ['a bandwidth without a time', { bandwidthBytesPerSecond: 1e6 }, 'NodeLink ws-01 status.measuredAt: missing; a link measurement needs the time it was taken'],
    ['a time without a zone', { bandwidthBytesPerSecond: 1e6, measuredAt: '2026-01-12T09:00:00' }, 'NodeLink ws-01 status.measuredAt: expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got "2026-01-12T09:00:00"'],
    ['a time that is no time', { bandwidthBytesPerSecond: 1e6, measuredAt: 'yesterday' }, 'NodeLink ws-01 status.measuredAt: expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got "yesterday"'],
    ['a time as epoch seconds', { bandwidthBytesPerSecond: 1e6, measuredAt: 1768208400 }, 'NodeLink ws-01 status.measuredAt: expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got 1768208400'],
  ];
  for (const [what, status, message] of errors) {
    it(`reports ${what}, naming the record and the field`, () => expect(linkFromNodeLink(record(status))).to.deep.equal({ error: message }));
  }

  it('names the record the error is about', () => {
    expect(linkFromNodeLink(record({ bandwidthBytesPerSecond: -1, measuredAt: MEASURED }, 'ws-17')).error).to.match(/^NodeLink ws-17 status\./);
  });

  it('reads the same measurement as the node annotations that say the same', () => {
    const cases: [Record<string, string>, NodeLinkStatus][] = [
      [{ [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: MEASURED }, { bandwidthBytesPerSecond: 4.625e6, rttMs: 12, measuredAt: MEASURED }],
      [{ [Annotations.linkBandwidth]: '2.5MB/s', [Annotations.linkMeasuredAt]: '2026-01-12T10:00:00+01:00' }, { bandwidthBytesPerSecond: 2.5e6, measuredAt: '2026-01-12T10:00:00+01:00' }],
      [{}, {}],
    ];
    for (const [annotations, status] of cases) {
      expect(linkFromNodeLink(record({ ...status })), JSON.stringify(status)).to.deep.equal(linkFromAnnotations({ metadata: { annotations } }));
    }
  });
});
