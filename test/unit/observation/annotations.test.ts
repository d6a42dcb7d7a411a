/**
 * The documented annotations: a valid value is parsed, a missing one gives {} (no value, no error), and
 * a bad one gives an error naming the annotation key and what was expected. Nothing here throws.
 */
import { expect } from 'chai';
import {
  Annotations,
  departureFromNode,
  dirtyRateFromAnnotations,
  dirtyRateReadingsFromAnnotations,
  guestUsedFromAnnotations,
  LEAVING_TAINT,
  linkFromAnnotations,
  type Parsed,
} from '../../../src/observation/annotations.js';

const MEASURED = '2026-01-12T09:00:00Z';
const MEASURED_MS = Date.UTC(2026, 0, 12, 9, 0, 0);
const on = (annotations?: Record<string, string>) => ({ metadata: annotations ? { annotations } : {} });

/** Runs a parse that must not throw and must report an error naming the key and the expected form. */
function expectError<T>(parse: () => Parsed<T>, key: string, expected: RegExp): void {
  let result: Parsed<T> | undefined;
  expect(() => (result = parse())).not.to.throw();
  expect(result).to.have.property('error').that.is.a('string');
  expect(result).not.to.have.property('value');
  expect(result!.error).to.include(key);
  expect(result!.error).to.match(expected);
}

describe('annotations', () => {
  describe('linkFromAnnotations', () => {
    const valid: [string, Record<string, string>, object][] = [
      [
        'bandwidth, RTT and measurement time',
        { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: MEASURED },
        { bandwidthBytesPerSecond: 4.625e6, rttMs: 12, measuredAtMs: MEASURED_MS },
      ],
      [
        'a byte rate and a time with an offset',
        { [Annotations.linkBandwidth]: '2.5MB/s', [Annotations.linkMeasuredAt]: '2026-01-12T10:00:00+01:00' },
        { bandwidthBytesPerSecond: 2.5e6, measuredAtMs: MEASURED_MS },
      ],
      [
        'no RTT: the measurement has none',
        { [Annotations.linkBandwidth]: '100Mbit/s', [Annotations.linkMeasuredAt]: MEASURED },
        { bandwidthBytesPerSecond: 12.5e6, measuredAtMs: MEASURED_MS },
      ],
      [
        'an RTT in seconds',
        { [Annotations.linkBandwidth]: '1Gbit/s', [Annotations.linkRtt]: '1.5s', [Annotations.linkMeasuredAt]: MEASURED },
        { bandwidthBytesPerSecond: 125e6, rttMs: 1500, measuredAtMs: MEASURED_MS },
      ],
    ];
    for (const [what, annotations, link] of valid) {
      it(`reads ${what}`, () => expect(linkFromAnnotations(on(annotations))).to.deep.equal({ value: link }));
    }

    const missing: [string, Record<string, string> | undefined][] = [
      ['no annotations at all', undefined],
      ['unrelated annotations only', { 'kubevirt.io/heartbeat': MEASURED }],
      ['an RTT and a time but no bandwidth', { [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: MEASURED }],
    ];
    for (const [what, annotations] of missing) {
      it(`gives no link and no error for ${what}`, () => expect(linkFromAnnotations(on(annotations))).to.deep.equal({}));
    }

    const bad: [string, Record<string, string>, string, RegExp][] = [
      ['a bandwidth without a measurement time', { [Annotations.linkBandwidth]: '37Mbit/s' }, Annotations.linkMeasuredAt, /missing; a link measurement needs the time/],
      ['an ambiguous bandwidth unit', { [Annotations.linkBandwidth]: '37Mbps', [Annotations.linkMeasuredAt]: MEASURED }, Annotations.linkBandwidth, /expected a rate like 37Mbit\/s/],
      ['a bandwidth without a unit', { [Annotations.linkBandwidth]: '37', [Annotations.linkMeasuredAt]: MEASURED }, Annotations.linkBandwidth, /a rate needs a unit/],
      ['an RTT without a unit', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkRtt]: '12', [Annotations.linkMeasuredAt]: MEASURED }, Annotations.linkRtt, /expected a duration like 300ms/],
      ['a measurement time that is not RFC 3339', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: 'yesterday' }, Annotations.linkMeasuredAt, /expected an RFC 3339 time/],
      ['a measurement time as epoch seconds', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: '1768208400' }, Annotations.linkMeasuredAt, /expected an RFC 3339 time/],
      ['a date without a time', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: '2026-01-12' }, Annotations.linkMeasuredAt, /expected an RFC 3339 time/],
      ['an impossible date', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: '2026-13-45T99:00:00Z' }, Annotations.linkMeasuredAt, /expected an RFC 3339 time/],
      // Without a zone, Date.parse reads the operator's local time: RFC 3339 requires Z or an offset.
      ['a measurement time without a zone', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: '2026-01-12T09:00:00' }, Annotations.linkMeasuredAt, /expected an RFC 3339 time/],
    ];
    for (const [what, annotations, key, expected] of bad) {
      it(`reports ${what} as an error naming ${key}`, () => expectError(() => linkFromAnnotations(on(annotations)), key, expected));
    }
  });

  describe('departureFromNode', () => {
    type NodeLike = Parameters<typeof departureFromNode>[0];
    const node = (annotations?: Record<string, string>, taints?: { key: string }[]): NodeLike => ({
      metadata: annotations ? { annotations } : {},
      ...(taints ? { spec: { taints } } : {}),
    });
    const leavingTaint = { key: LEAVING_TAINT };
    const otherTaint = { key: 'node.kubernetes.io/unreachable' };

    // [what, node, parsed]
    const rows: [string, NodeLike, Parsed<{ departureAtMs?: number }>][] = [
      ['a node with no annotations and no taints is not leaving', node(), {}],
      ['a node with an unrelated taint is not leaving', node({}, [otherTaint]), {}],
      ['leaving "false" is not leaving', node({ [Annotations.leaving]: 'false' }), {}],
      ['leaving "true" is leaving now (no time)', node({ [Annotations.leaving]: 'true' }), { value: {} }],
      ['the leaving taint is leaving now', node(undefined, [otherTaint, leavingTaint]), { value: {} }],
      ['the leaving taint wins over leaving "false"', node({ [Annotations.leaving]: 'false' }, [leavingTaint]), { value: {} }],
      ['a departure time is leaving at that time', node({ [Annotations.departureTime]: MEASURED }), { value: { departureAtMs: MEASURED_MS } }],
      [
        'a departure time implies leaving even with leaving "false"',
        node({ [Annotations.departureTime]: MEASURED, [Annotations.leaving]: 'false' }),
        { value: { departureAtMs: MEASURED_MS } },
      ],
      ['a departure time is kept alongside the taint', node({ [Annotations.departureTime]: MEASURED }, [leavingTaint]), { value: { departureAtMs: MEASURED_MS } }],
    ];
    for (const [what, n, parsed] of rows) {
      it(what, () => expect(departureFromNode(n)).to.deep.equal(parsed));
    }

    const bad: [string, NodeLike, string, RegExp][] = [
      ['leaving "yes"', node({ [Annotations.leaving]: 'yes' }), Annotations.leaving, /expected "true" or "false", got "yes"/],
      ['leaving "True" (case matters)', node({ [Annotations.leaving]: 'True' }), Annotations.leaving, /expected "true" or "false"/],
      ['an empty leaving value', node({ [Annotations.leaving]: '' }), Annotations.leaving, /expected "true" or "false", got ""/],
    ];
    for (const [what, n, key, expected] of bad) {
      it(`reports ${what} as an error naming ${key}`, () => expectError(() => departureFromNode(n), key, expected));
    }

    // A bad annotation does not hide a valid leaving signal: the node leaves now and the error is still reported.
    const stillLeaving: [string, NodeLike, string][] = [
      ['the leaving taint next to leaving "yes"', node({ [Annotations.leaving]: 'yes' }, [leavingTaint]), Annotations.leaving],
      ['the leaving taint next to a bad departure time', node({ [Annotations.departureTime]: 'noon' }, [leavingTaint]), Annotations.departureTime],
      ['leaving "true" next to a bad departure time', node({ [Annotations.departureTime]: 'noon', [Annotations.leaving]: 'true' }), Annotations.departureTime],
      // An unreadable departure time is an announcement all the same: the conservative reading is "now".
      ['a departure time that is not RFC 3339', node({ [Annotations.departureTime]: 'at noon' }), Annotations.departureTime],
      ['a date-less departure time', node({ [Annotations.departureTime]: '17:30' }), Annotations.departureTime],
      ['a departure time without a zone', node({ [Annotations.departureTime]: '2026-01-12T09:00:00' }), Annotations.departureTime],
      ['a bad departure time next to leaving "false"', node({ [Annotations.departureTime]: 'noon', [Annotations.leaving]: 'false' }), Annotations.departureTime],
    ];
    for (const [what, n, key] of stillLeaving) {
      it(`reads ${what} as leaving now and still reports ${key}`, () => {
        const parsed = departureFromNode(n);
        expect(parsed.value).to.deep.equal({});
        expect(parsed.error).to.be.a('string').that.includes(key);
        expect(parsed.error).to.match(/treated as leaving now/);
      });
    }
  });

  describe('dirtyRateFromAnnotations', () => {
    const valid: [string, Record<string, string>, object][] = [
      ['a mean rate', { [Annotations.dirtyRate]: '2.5MB/s' }, { kind: 'constant', bytesPerSecond: 2.5e6 }],
      ['a mean rate in bits', { [Annotations.dirtyRate]: '80Mbit/s' }, { kind: 'constant', bytesPerSecond: 10e6 }],
      [
        'two windows',
        { [Annotations.dirtyRateWindows]: '1s=2.5MB/s,5s=1.9MB/s' },
        { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2.5e6 }, { seconds: 5, bytesPerSecond: 1.9e6 }] },
      ],
      [
        'windows in ms and minutes, with spaces around the parts',
        { [Annotations.dirtyRateWindows]: ' 500ms = 4MB/s , 1m = 1MiB/s ' },
        { kind: 'windows', windows: [{ seconds: 0.5, bytesPerSecond: 4e6 }, { seconds: 60, bytesPerSecond: 2 ** 20 }] },
      ],
      ['a single window as a constant rate', { [Annotations.dirtyRateWindows]: '5s=3MB/s' }, { kind: 'constant', bytesPerSecond: 3e6 }],
      [
        'windows in preference to the mean rate',
        { [Annotations.dirtyRateWindows]: '1s=2MB/s,5s=1MB/s', [Annotations.dirtyRate]: '9MB/s' },
        { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2e6 }, { seconds: 5, bytesPerSecond: 1e6 }] },
      ],
    ];
    for (const [what, annotations, input] of valid) {
      it(`reads ${what}`, () => expect(dirtyRateFromAnnotations(on(annotations))).to.deep.equal({ value: input }));
    }

    it('gives no rate and no error without annotations', () => expect(dirtyRateFromAnnotations(on())).to.deep.equal({}));
    it('gives no rate and no error with unrelated annotations', () => expect(dirtyRateFromAnnotations(on({ [Annotations.guestUsed]: '1Gi' }))).to.deep.equal({}));

    const bad: [string, Record<string, string>, string, RegExp][] = [
      ['a mean rate without a unit', { [Annotations.dirtyRate]: '2.5' }, Annotations.dirtyRate, /expected a rate like 37Mbit\/s or 2.5MB\/s, got "2.5"/],
      ['a mean rate in Mb/s', { [Annotations.dirtyRate]: '20Mb/s' }, Annotations.dirtyRate, /write Mbit\/s for bits or MB\/s for bytes/],
      ['a window without "="', { [Annotations.dirtyRateWindows]: '1s=2MB/s,5s' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs .*got "5s"/],
      ['a window without a rate', { [Annotations.dirtyRateWindows]: '1s=' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs/],
      ['a rate without a window', { [Annotations.dirtyRateWindows]: '=2MB/s' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs/],
      ['an empty windows value', { [Annotations.dirtyRateWindows]: '' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs/],
      ['a trailing comma', { [Annotations.dirtyRateWindows]: '1s=2MB/s,' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs/],
      ['a pair with two "="', { [Annotations.dirtyRateWindows]: '1s=2MB/s=3MB/s,5s=1MB/s' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs .*got "1s=2MB\/s=3MB\/s"/],
      ['a window without a unit', { [Annotations.dirtyRateWindows]: '1=2MB/s,5=1MB/s' }, Annotations.dirtyRateWindows, /expected a duration like 300ms/],
      ['a window rate without a unit', { [Annotations.dirtyRateWindows]: '1s=2,5s=1MB/s' }, Annotations.dirtyRateWindows, /expected a rate like 37Mbit\/s/],
      // A bad windows value is not silently replaced by the mean rate.
      ['bad windows next to a good mean rate', { [Annotations.dirtyRateWindows]: '1s:2MB/s', [Annotations.dirtyRate]: '2MB/s' }, Annotations.dirtyRateWindows, /expected WINDOW=RATE pairs/],
    ];
    for (const [what, annotations, key, expected] of bad) {
      it(`reports ${what} as an error naming ${key}`, () => expectError(() => dirtyRateFromAnnotations(on(annotations)), key, expected));
    }
  });

  describe('dirtyRateReadingsFromAnnotations', () => {
    const K = Annotations.dirtyRateReadings;
    const valid: [string, string, object[]][] = [
      ['KubeVirt-style 1 s readings', '1s=2,1s=0,1s=4', [{ seconds: 1, mibPerSecond: 2 }, { seconds: 1, mibPerSecond: 0 }, { seconds: 1, mibPerSecond: 4 }]],
      ['sample pages per GiB and longer windows, with spaces', ' 1s/16384=1 , 5s/16384=2,1m=0 ', [
        { seconds: 1, mibPerSecond: 1, samplePages: 16384 },
        { seconds: 5, mibPerSecond: 2, samplePages: 16384 },
        { seconds: 60, mibPerSecond: 0 },
      ]],
    ];
    for (const [what, text, readings] of valid) {
      it(`reads ${what}`, () => expect(dirtyRateReadingsFromAnnotations(on({ [K]: text }))).to.deep.equal({ value: readings }));
    }

    it('gives nothing without the annotation', () => expect(dirtyRateReadingsFromAnnotations(on({ [Annotations.dirtyRate]: '1MB/s' }))).to.deep.equal({}));

    const bad: [string, string, RegExp][] = [
      ['an empty value', '', /expected readings such as 1s=2/],
      ['a rate with a unit (QEMU reports whole MiB/s)', '1s=2MB/s', /expected CALC-TIME\[\/SAMPLE-PAGES\]=MIB-PER-SECOND .*got "1s=2MB\/s"/],
      ['a fractional reading', '1s=1.5', /got "1s=1.5"/],
      ['a negative reading', '1s=-2', /got "1s=-2"/],
      ['a window below a second', '500ms=2', /calc-time must be whole seconds, at least 1/],
      ['a window without a unit', '1=2', /expected a duration like 300ms/],
      ['too few sample pages', '1s/64=2', /sample pages per GiB must be 128\.\.16384 .*got 64/],
      ['too many sample pages', '1s/32768=2', /sample pages per GiB must be 128\.\.16384/],
      ['too many readings', Array.from({ length: 501 }, () => '1s=0').join(','), /at most 500 readings, got 501/],
    ];
    for (const [what, text, expected] of bad) {
      it(`reports ${what} as an error naming ${K}`, () => expectError(() => dirtyRateReadingsFromAnnotations(on({ [K]: text })), K, expected));
    }
  });

  describe('guestUsedFromAnnotations', () => {
    const valid: [string, number][] = [
      ['800Mi', 800 * 2 ** 20],
      ['1.5Gi', 1.5 * 2 ** 30],
      ['2G', 2e9],
      ['1073741824', 2 ** 30],
    ];
    for (const [text, bytes] of valid) {
      it(`reads "${text}" as ${bytes} bytes`, () => expect(guestUsedFromAnnotations(on({ [Annotations.guestUsed]: text }))).to.deep.equal({ value: bytes }));
    }

    it('gives no value and no error without the annotation', () => {
      expect(guestUsedFromAnnotations(on())).to.deep.equal({});
      expect(guestUsedFromAnnotations(on({ [Annotations.dirtyRate]: '1MB/s' }))).to.deep.equal({});
    });

    const bad: [string, RegExp][] = [
      ['lots', /expected a size like 2Gi/],
      ['800mi', /case-sensitive/],
      ['2K', /use k for 1000 or Ki for 1024/],
      ['', /expected a size like 2Gi/],
    ];
    for (const [text, expected] of bad) {
      it(`reports "${text}" as an error naming ${Annotations.guestUsed}`, () => expectError(() => guestUsedFromAnnotations(on({ [Annotations.guestUsed]: text })), Annotations.guestUsed, expected));
    }
  });
});
