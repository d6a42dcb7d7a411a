import { expect } from 'chai';
import {
  formatBandwidth,
  formatBytes,
  formatDuration,
  parseBandwidth,
  parseBytes,
  parseDuration,
  QuantityError,
} from '../../../src/domain/units.js';

describe('units', () => {
  describe('parseBytes', () => {
    const cases: [string, number][] = [
      ['2Gi', 2 * 2 ** 30],
      ['140Mi', 140 * 2 ** 20],
      ['10G', 10e9],
      ['512M', 512e6],
      ['1.5Gi', 1.5 * 2 ** 30],
      ['1073741824', 2 ** 30],
      ['2GiB', 2 * 2 ** 30],
      ['512MB', 512e6],
      ['4k', 4000],
      ['3Ki', 3072],
      ['1Ti', 2 ** 40],
      ['1.1G', 1_100_000_000],
      ['0.1Ki', 103],
      ['1e9', 1e9],
      [' 2 Gi ', 2 * 2 ** 30],
      ['0', 0],
      ['1000 B', 1000],
    ];
    for (const [text, bytes] of cases) {
      it(`reads "${text}" as ${bytes} bytes`, () => expect(parseBytes(text, '--memory')).to.equal(bytes));
    }

    const bad: [string, RegExp][] = [
      ['fast', /--memory: expected a size like 2Gi/],
      ['2K', /use k for 1000 or Ki for 1024/],
      ['2gi', /case-sensitive/],
      ['2mi', /case-sensitive/],
      ['-1Gi', /got "-1Gi"/],
      ['', /got ""/],
      ['1.5.3G', /expected/],
      ['2 G i', /expected/],
      ['2Gi/s', /expected/],
    ];
    for (const [text, message] of bad) {
      it(`refuses "${text}" with an error naming the field`, () => {
        expect(() => parseBytes(text, '--memory')).to.throw(QuantityError, message);
      });
    }

    it('carries the field, the expected form and the text on the error', () => {
      try {
        parseBytes('lots', 'spec.memory');
        expect.fail('should have thrown');
      } catch (err) {
        expect(err).to.be.instanceOf(QuantityError);
        const q = err as QuantityError;
        expect([q.field, q.got]).to.deep.equal(['spec.memory', 'lots']);
        expect(q.message).to.match(/^spec\.memory: expected /);
      }
    });
  });

  describe('parseBandwidth', () => {
    const cases: [string, number][] = [
      ['37Mbit/s', 4_625_000],
      ['1Gbit/s', 125e6],
      ['800kbit/s', 100_000],
      ['800Kbit/s', 100_000],
      ['37mbit/s', 4_625_000],
      ['8bit/s', 1],
      ['1Mibit/s', 2 ** 20 / 8],
      ['2.5MB/s', 2.5e6],
      ['4MiB/s', 4 * 2 ** 20],
      ['10kB/s', 10_000],
      ['1GB/s', 1e9],
      ['64Mi/s', 64 * 2 ** 20],
      ['100B/s', 100],
      ['37 Mbit/s', 4_625_000],
      ['0Mbit/s', 0],
    ];
    for (const [text, bytesPerSecond] of cases) {
      it(`reads "${text}" as ${bytesPerSecond} bytes/s`, () => {
        expect(parseBandwidth(text, '--bandwidth')).to.be.closeTo(bytesPerSecond, 1e-9 * bytesPerSecond);
      });
    }

    const bad: [string, RegExp][] = [
      ['fast', /^--bandwidth: expected a rate like 37Mbit\/s or 2\.5MB\/s, got "fast"$/],
      ['37Mbps', /ambiguous/],
      ['37mbps', /ambiguous/],
      ['4MBps', /ambiguous/],
      ['37Mb/s', /write Mbit\/s for bits or MB\/s for bytes/],
      ['37', /a rate needs a unit/],
      ['5KB/s', /kB\/s for 1000 or KiB\/s for 1024/],
      ['5Xbit/s', /unknown prefix/],
      ['5MB/min', /expected a rate/],
      ['-5MB/s', /expected a rate/],
    ];
    for (const [text, message] of bad) {
      it(`refuses "${text}"`, () => expect(() => parseBandwidth(text, '--bandwidth')).to.throw(QuantityError, message));
    }
  });

  describe('parseDuration', () => {
    const cases: [string, 'ms' | 's' | undefined, number][] = [
      ['300ms', undefined, 300],
      ['1.5s', undefined, 1500],
      ['2m', undefined, 120_000],
      ['1m30s', undefined, 90_000],
      ['1h', undefined, 3_600_000],
      ['300 ms', undefined, 300],
      ['150', 's', 150_000],
      ['300', 'ms', 300],
      ['2.5', 's', 2500],
      ['300ms', 's', 300],
    ];
    for (const [text, bareUnit, ms] of cases) {
      it(`reads "${text}"${bareUnit ? ` (bare = ${bareUnit})` : ''} as ${ms} ms`, () => {
        expect(parseDuration(text, '--downtime-limit', bareUnit)).to.equal(ms);
      });
    }

    it('refuses a bare number where the field does not say its unit', () => {
      expect(() => parseDuration('150', '--timeout')).to.throw(QuantityError, /--timeout: expected a duration/);
    });
    for (const text of ['soon', '1x', '-1s', '', 's', '1s2']) {
      it(`refuses "${text}"`, () => expect(() => parseDuration(text, '--progress-timeout', 's')).to.throw(QuantityError));
    }
    it('says in the error what a bare number means for the field', () => {
      expect(() => parseDuration('later', '--progress-timeout', 's')).to.throw(/a plain number means seconds/);
    });
  });

  describe('formatting', () => {
    const rows: [string, string][] = [
      [formatBytes(2 * 2 ** 30), '2 GiB'],
      [formatBytes(140 * 2 ** 20), '140 MiB'],
      [formatBytes(1.5 * 2 ** 30), '1.5 GiB'],
      [formatBytes(512), '512 B'],
      [formatBytes(2.746e9, 'decimal'), '2.75 GB'],
      [formatBytes(1_387_500, 'decimal'), '1.39 MB'],
      [formatBytes(Infinity), 'unbounded'],
      [formatBandwidth(4_625_000), '37 Mbit/s'],
      [formatBandwidth(125e6), '1 Gbit/s'],
      [formatBandwidth(2.5e6, 'bytes'), '2.5 MB/s'],
      [formatDuration(219), '219ms'],
      [formatDuration(0), '0ms'],
      [formatDuration(23_400), '23.4s'],
      [formatDuration(592_000), '9m52s'],
      [formatDuration(120_000), '2m'],
      [formatDuration(3_720_000), '1h2m'],
      [formatDuration(Infinity), 'never'],
    ];
    for (const [got, want] of rows) it(`shows "${want}"`, () => expect(got).to.equal(want));

    it('formats what the parsers read back, within rounding', () => {
      for (let x = 1; x < 1e13; x *= 3.7) {
        expect(parseBytes(formatBytes(x), 'f')).to.be.closeTo(x, x * 0.005 + 1);
        expect(parseBytes(formatBytes(x, 'decimal'), 'f')).to.be.closeTo(x, x * 0.005 + 1);
        expect(parseBandwidth(formatBandwidth(x), 'f')).to.be.closeTo(x, x * 0.005);
        expect(parseBandwidth(formatBandwidth(x, 'bytes'), 'f')).to.be.closeTo(x, x * 0.005);
      }
      for (let ms = 0.5; ms < 1e8; ms *= 2.3) {
        expect(parseDuration(formatDuration(ms), 'f')).to.be.closeTo(ms, ms * 0.01 + 0.005);
      }
    });
  });
});
