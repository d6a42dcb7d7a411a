import { expect } from 'chai';
import { predictMigration, type MigrationInput } from '../../../../src/domain/migration/predict.js';
import { NORMAL_PAGE_WIRE_FACTOR, SWITCHOVER_RESUME_MS } from '../../../../src/domain/migration/qemu.js';

const GiB = 2 ** 30;
const MB = 1e6;
const WAN = 4.625e6; // 37 Mbit/s
const LAN = 117.5e6; // 940 Mbit/s goodput

const constant = (bytesPerSecond: number): MigrationInput['dirtyRate'] => ({ kind: 'constant', bytesPerSecond });
const hotSet = (hotSetBytes: number, hotWriteBytesPerSecond: number): MigrationInput['dirtyRate'] => ({
  kind: 'curve',
  curve: { hotSetBytes, hotWriteBytesPerSecond, coldBytesPerSecond: 0 },
});

describe('predictMigration', () => {
  describe('reproduces the worked examples of migration-model.md §1.7 (2 GiB all non-zero, 300 ms, no KubeVirt budget)', () => {
    // [link, bandwidth, D, rounds, seconds, bytes sent, downtime ms] from the table; the model adds
    // QEMU's 8-byte page header (0.2 %) and a 10 ms resume, hence the tolerances.
    const rows: [string, number, number, number, number, number, number][] = [
      ['37 Mbit/s', WAN, 0, 1, 464, 2.15e9, 0],
      ['37 Mbit/s', WAN, 1 * MB, 5, 592, 2.74e9, 219],
      ['37 Mbit/s', WAN, 2 * MB, 9, 818, 3.78e9, 246],
      ['37 Mbit/s', WAN, 4 * MB, 51, 3434, 15.9e9, 283],
      ['1 Gbit/s', LAN, 25 * MB, 3, 23, 2.72e9, 176],
      ['1 Gbit/s', LAN, 50 * MB, 5, 32, 3.72e9, 255],
      ['1 Gbit/s', LAN, 100 * MB, 26, 121, 14.2e9, 276],
    ];
    for (const [link, bandwidth, rate, rounds, seconds, bytes, downtimeMs] of rows) {
      it(`${link}, D = ${rate / MB} MB/s: ${rounds} rounds, ~${seconds} s, ~${bytes / 1e9} GB, ~${downtimeMs} ms down`, () => {
        const p = predictMigration({ memoryBytes: 2 * GiB, dirtyRate: constant(rate), bandwidthBytesPerSecond: bandwidth, completionTimeoutPerGiB: 0 });
        expect(p).to.include({ converges: true, abortedByKubevirt: false, mode: 'PreCopy', completes: true });
        expect(p.rounds).to.be.within(rounds, rounds + 1);
        expect(p.totalSeconds).to.be.closeTo(seconds, 0.02 * seconds + 1);
        expect(p.transferredBytes).to.be.closeTo(bytes, 0.02 * bytes);
        expect(p.downtimeMs).to.be.closeTo(downtimeMs + SWITCHOVER_RESUME_MS, 0.06 * downtimeMs + 1);
      });
    }

    const wws: [string, number, number, number, number | undefined, number | undefined][] = [
      ['37 Mbit/s, W = 64 MB, d = 2 MB/s', WAN, 64 * MB, 2 * MB, 6, 486],
      ['1 Gbit/s, W = 256 MB, d = 50 MB/s', LAN, 256 * MB, 50 * MB, 3, 21],
      ['37 Mbit/s, W = 64 MB, d = 20 MB/s', WAN, 64 * MB, 20 * MB, undefined, undefined],
      ['37 Mbit/s, W = 1 GiB, d = 2 GB/s', WAN, GiB, 2e9, undefined, undefined],
      ['1 Gbit/s, W = 1 GiB, d = 2 GB/s', LAN, GiB, 2e9, undefined, undefined],
    ];
    for (const [name, bandwidth, w, d, rounds, seconds] of wws) {
      it(`${name}: ${rounds ? `converges in ${rounds} rounds, ~${seconds} s` : 'stuck'}`, () => {
        const p = predictMigration({ memoryBytes: 2 * GiB, dirtyRate: hotSet(w, d), bandwidthBytesPerSecond: bandwidth, completionTimeoutPerGiB: 0 });
        if (rounds === undefined) {
          expect(p).to.include({ converges: false, mode: 'NotConverging', totalSeconds: Infinity, abortedByKubevirt: false });
        } else {
          expect(p).to.include({ converges: true, rounds });
          expect(p.totalSeconds).to.be.closeTo(seconds!, 0.03 * seconds! + 0.5);
        }
      });
    }
  });

  describe('KubeVirt', () => {
    const slow: MigrationInput = { memoryBytes: 2 * GiB, dirtyRate: constant(1 * MB), bandwidthBytesPerSecond: WAN };

    it('aborts a converging migration that needs longer than its budget (2 GiB over 37 Mbit/s: 594 s > 450 s)', () => {
      const p = predictMigration(slow);
      expect(p).to.include({
        converges: true,
        abortedByKubevirt: true,
        abortReason: 'CompletionTimeout',
        completes: false,
        mode: 'PreCopy',
        totalSeconds: 450,
        completionBudgetSeconds: 450,
        downtimeMs: 0,
        rounds: 0,
      });
      expect(p.transferredBytes).to.be.closeTo(450 * WAN, 1);
    });

    it('aborts a migration that never converges at its budget', () => {
      const p = predictMigration({ ...slow, dirtyRate: constant(20 * MB) });
      expect(p).to.include({ converges: false, abortedByKubevirt: true, abortReason: 'CompletionTimeout', mode: 'NotConverging', totalSeconds: 450 });
    });

    it('switches to post-copy at the budget when allowed, and then completes with a short pause', () => {
      const p = predictMigration({ ...slow, allowPostCopy: true });
      expect(p).to.include({ converges: true, abortedByKubevirt: false, completes: true, mode: 'PostCopy', downtimeMs: SWITCHOVER_RESUME_MS });
      expect(p.abortReason).to.equal(undefined);
      // At 450 s, 15 s of pass 0 are unsent and 450 MB were dirtied meanwhile.
      expect(p.postCopySeconds).to.be.closeTo(465.23 - 450 + (450 * MB * NORMAL_PAGE_WIRE_FACTOR) / WAN, 0.5);
      expect(p.totalSeconds).to.be.closeTo(450 + SWITCHOVER_RESUME_MS / 1000 + p.postCopySeconds, 1e-9);
    });

    it('rescues a non-converging migration with post-copy', () => {
      const p = predictMigration({
        memoryBytes: 2 * GiB,
        guestUsedBytes: 256 * 2 ** 20,
        dirtyRate: hotSet(64 * MB, 20 * MB),
        bandwidthBytesPerSecond: WAN,
        allowPostCopy: true,
      });
      expect(p).to.include({ converges: true, completes: true, mode: 'PostCopy' });
      expect(p.rounds).to.be.greaterThan(1);
      // Stuck at the hot set: what is left is about one pass over 64 MB.
      expect(p.postCopySeconds).to.be.closeTo((64 * MB * NORMAL_PAGE_WIRE_FACTOR) / WAN, 1);
    });

    it('finishes within the budget when only the used memory crosses the link', () => {
      const p = predictMigration({ ...slow, guestUsedBytes: 140 * 2 ** 20 });
      expect(p).to.include({ converges: true, abortedByKubevirt: false, completes: true, mode: 'PreCopy' });
      expect(p.totalSeconds).to.be.below(450);
      expect(p.passes[0]!.wireBytes).to.be.closeTo(140 * 2 ** 20 * NORMAL_PAGE_WIRE_FACTOR + ((2 * GiB - 140 * 2 ** 20) / 4096) * 9, 1);
    });

    it('never ends when pre-copy does not converge and the budget is disabled', () => {
      const p = predictMigration({ ...slow, dirtyRate: constant(20 * MB), completionTimeoutPerGiB: 0 });
      expect(p).to.include({ converges: false, abortedByKubevirt: false, completes: false, mode: 'NotConverging' });
      expect([p.totalSeconds, p.rounds, p.transferredBytes, p.completionBudgetSeconds]).to.deep.equal([Infinity, Infinity, Infinity, Infinity]);
    });

    it('never predicts a progress timeout: QEMU’s remaining data falls during every pass', () => {
      for (const rate of [0, 1 * MB, 4.6 * MB, 20 * MB, 1e9]) {
        const p = predictMigration({ ...slow, dirtyRate: constant(rate), progressTimeoutSeconds: 1 });
        expect(p.abortReason).to.not.equal('ProgressTimeout');
      }
    });
  });

  describe('first pass and zero pages', () => {
    it('sends a zero page as a 9-byte header', () => {
      const p = predictMigration({ memoryBytes: GiB, guestUsedBytes: 0, dirtyRate: constant(0), bandwidthBytesPerSecond: WAN });
      expect(p.transferredBytes).to.be.closeTo((GiB / 4096) * 9, 1e-6);
      expect(p.rounds).to.equal(1);
    });

    it('clamps a used size above the memory size to the memory size', () => {
      const a = predictMigration({ memoryBytes: GiB, guestUsedBytes: 2 * GiB, dirtyRate: constant(MB), bandwidthBytesPerSecond: LAN });
      const b = predictMigration({ memoryBytes: GiB, dirtyRate: constant(MB), bandwidthBytesPerSecond: LAN });
      expect(a).to.deep.equal(b);
    });

    it('stops and copies at once when all of memory fits under the threshold', () => {
      const p = predictMigration({ memoryBytes: 2 ** 20, dirtyRate: constant(1e9), bandwidthBytesPerSecond: LAN });
      expect(p).to.include({ converges: true, rounds: 0, completes: true });
      expect(p.downtimeMs).to.be.closeTo(((2 ** 20 * NORMAL_PAGE_WIRE_FACTOR) / LAN) * 1000 + SWITCHOVER_RESUME_MS, 1e-9);
    });
  });

  describe('block migration', () => {
    it("copies the disks first at the link bandwidth; KubeVirt's budget counts only the bytes it is told to", () => {
      const disk = 10 * GiB;
      const base: MigrationInput = { memoryBytes: GiB, guestUsedBytes: 256 * 2 ** 20, dirtyRate: constant(MB), bandwidthBytesPerSecond: LAN };
      const without = predictMigration(base);
      const withDisk = predictMigration({ ...base, blockMigrationDiskBytes: disk });
      expect(withDisk.diskCopySeconds).to.be.closeTo(disk / LAN, 1e-9);
      expect(withDisk.totalSeconds).to.be.closeTo(without.totalSeconds + disk / LAN, 1e-6);
      expect(withDisk.transferredBytes).to.be.closeTo(without.transferredBytes + disk, 1);
      expect(withDisk.completionBudgetSeconds).to.equal(without.completionBudgetSeconds);
      const counted = predictMigration({ ...base, blockMigrationDiskBytes: disk, budgetDiskBytes: disk });
      expect(counted.completionBudgetSeconds).to.equal(150 * Math.ceil((GiB + disk) / 1e9));
      expect(counted.totalSeconds).to.equal(withDisk.totalSeconds);
    });

    it('is aborted during the disk copy when the disks alone take longer than the budget', () => {
      const p = predictMigration({ memoryBytes: GiB, dirtyRate: constant(0), bandwidthBytesPerSecond: WAN, blockMigrationDiskBytes: 10 * GiB });
      expect(p).to.include({ abortedByKubevirt: true, rounds: 0, totalSeconds: 300 });
      const counted = predictMigration({ memoryBytes: GiB, dirtyRate: constant(0), bandwidthBytesPerSecond: WAN, blockMigrationDiskBytes: 10 * GiB, budgetDiskBytes: 10 * GiB });
      expect(counted).to.include({ abortedByKubevirt: true, rounds: 0, totalSeconds: 1800 });
    });

    it('starts post-copy only once the RAM phase begins', () => {
      const p = predictMigration({ memoryBytes: GiB, dirtyRate: constant(0), bandwidthBytesPerSecond: WAN, blockMigrationDiskBytes: 10 * GiB, allowPostCopy: true });
      const diskSeconds = (10 * GiB) / WAN;
      expect(p.mode).to.equal('PostCopy');
      expect(p.totalSeconds).to.be.closeTo(diskSeconds + SWITCHOVER_RESUME_MS / 1000 + (GiB * NORMAL_PAGE_WIRE_FACTOR) / WAN, 1e-6);
    });
  });

  describe('auto-converge', () => {
    const busy: MigrationInput = {
      memoryBytes: 2 * GiB,
      guestUsedBytes: 256 * 2 ** 20,
      dirtyRate: constant(5 * MB),
      bandwidthBytesPerSecond: WAN,
      completionTimeoutPerGiB: 0,
    };

    it('does not converge without it when the guest dirties faster than the link', () => {
      expect(predictMigration(busy)).to.include({ converges: false, mode: 'NotConverging' });
    });

    it('throttles the guest until pre-copy converges', () => {
      const p = predictMigration({ ...busy, allowAutoConverge: true });
      expect(p).to.include({ converges: true, completes: true, mode: 'AutoConverge' });
      expect(p.maxThrottlePercent).to.be.within(20, 99);
      expect(p.passes.some((pass) => pass.throttlePercent > 0)).to.equal(true);
    });

    it('cannot help when even a 99 % throttle leaves the guest dirtying faster than the link', () => {
      const p = predictMigration({ ...busy, dirtyRate: constant(500 * MB), allowAutoConverge: true });
      expect(p).to.include({ converges: false, mode: 'NotConverging', maxThrottlePercent: 99 });
    });

    it('reports PreCopy and no throttle when the guest never needed one', () => {
      const p = predictMigration({ ...busy, dirtyRate: constant(0.1 * MB), allowAutoConverge: true });
      expect(p.mode).to.equal('PreCopy');
      expect(p.maxThrottlePercent).to.equal(undefined);
    });
  });

  describe('input', () => {
    it('treats a single window as that constant rate', () => {
      const base = { memoryBytes: 2 * GiB, bandwidthBytesPerSecond: WAN };
      const a = predictMigration({ ...base, dirtyRate: { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2 * MB }] } });
      const b = predictMigration({ ...base, dirtyRate: constant(2 * MB) });
      expect(a).to.deep.equal(b);
    });

    it('fits a curve from several windows', () => {
      const p = predictMigration({
        memoryBytes: 2 * GiB,
        guestUsedBytes: 140 * 2 ** 20,
        bandwidthBytesPerSecond: WAN,
        dirtyRate: { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2.5 * MB }, { seconds: 5, bytesPerSecond: 1.9 * MB }] },
      });
      expect(p.dirtying.hotSetBytes).to.be.greaterThan(0);
      expect(p.completes).to.equal(true);
    });

    const bad: [string, Partial<MigrationInput>, RegExp][] = [
      ['memory NaN', { memoryBytes: NaN }, /memoryBytes must be a finite number/],
      ['memory 0', { memoryBytes: 0 }, /memoryBytes must be greater than 0/],
      ['memory Infinity', { memoryBytes: Infinity }, /memoryBytes must be a finite number/],
      ['negative used memory', { guestUsedBytes: -1 }, /guestUsedBytes must be at least 0/],
      ['zero bandwidth', { bandwidthBytesPerSecond: 0 }, /bandwidthBytesPerSecond must be greater than 0/],
      ['negative bandwidth', { bandwidthBytesPerSecond: -5 }, /bandwidthBytesPerSecond/],
      ['zero downtime limit', { downtimeLimitMs: 0 }, /downtimeLimitMs must be greater than 0/],
      ['downtime limit above QEMU’s maximum', { downtimeLimitMs: 3e6 }, /downtimeLimitMs must be at most 2000000/],
      ['negative completion timeout', { completionTimeoutPerGiB: -1 }, /completionTimeoutPerGiB/],
      ['infinite progress timeout', { progressTimeoutSeconds: Infinity }, /progressTimeoutSeconds/],
      ['negative disk', { blockMigrationDiskBytes: -1 }, /blockMigrationDiskBytes/],
      ['negative budget disk', { budgetDiskBytes: -1 }, /budgetDiskBytes must be at least 0/],
      ['budget disk not a number', { budgetDiskBytes: Number.NaN }, /budgetDiskBytes must be a finite number/],
      ['negative dirty rate', { dirtyRate: constant(-1) }, /dirtyRate\.bytesPerSecond/],
      ['no windows', { dirtyRate: { kind: 'windows', windows: [] } }, /dirtyRate\.windows must hold at least one/],
      ['a zero-length window', { dirtyRate: { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 1 }, { seconds: 0, bytesPerSecond: 1 }] } }, /dirtyRate\.windows\[1\]\.seconds/],
      ['a NaN curve', { dirtyRate: { kind: 'curve', curve: { hotSetBytes: NaN, hotWriteBytesPerSecond: 1, coldBytesPerSecond: 0 } } }, /dirtyRate\.curve\.hotSetBytes/],
      ['an unknown kind', { dirtyRate: { kind: 'guess' } as unknown as MigrationInput['dirtyRate'] }, /dirtyRate\.kind/],
    ];
    for (const [name, change, message] of bad) {
      it(`refuses ${name} with a RangeError naming the field`, () => {
        const input = { memoryBytes: GiB, dirtyRate: constant(MB), bandwidthBytesPerSecond: WAN, ...change };
        expect(() => predictMigration(input)).to.throw(RangeError, message);
      });
    }
  });

  describe('passes with a ratio very near 1', () => {
    it('bounds them in closed form, exactly for a constant rate, without a round cap', () => {
      const r = 0.99999;
      const bandwidth = WAN;
      const rate = (r * bandwidth) / NORMAL_PAGE_WIRE_FACTOR;
      const p = predictMigration({ memoryBytes: 2 * GiB, dirtyRate: constant(rate), bandwidthBytesPerSecond: bandwidth, completionTimeoutPerGiB: 0 });
      const first = (2 * GiB * NORMAL_PAGE_WIRE_FACTOR) / bandwidth;
      const stop = 0.3 * NORMAL_PAGE_WIRE_FACTOR;
      const rounds = Math.ceil(Math.log(stop / first) / Math.log(r));
      const seconds = (first * (1 - r ** (rounds + 1))) / (1 - r) + SWITCHOVER_RESUME_MS / 1000;
      expect(p.tailBounded).to.equal(true);
      expect(p.rounds).to.be.within(rounds - 1, rounds + 1);
      expect(p.totalSeconds).to.be.closeTo(seconds, 1e-6 * seconds);
    });
  });
});
