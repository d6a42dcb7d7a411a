/**
 * From an OfflineFirstPlacement spec to the engine's policy: defaults for absent fields, every
 * quantity in the engine's units, and an error naming the field for a value that cannot be read.
 */
import { expect } from 'chai';
import { placementPolicy } from '../../../src/observation/placement-policy.js';
import type { PlacementPolicy } from '../../../src/domain/placement/index.js';
import type { OfflineFirstPlacement, OfflineFirstPlacementSpec } from '../../../src/kube/placement.js';

function placement(spec: Partial<OfflineFirstPlacementSpec> = {}): OfflineFirstPlacement {
  return {
    apiVersion: 'placement.offline-first.io/v1alpha1',
    kind: 'OfflineFirstPlacement',
    metadata: { name: 'room-b12', namespace: 'lab', generation: 1 },
    spec: {
      vmSelector: { matchLabels: { app: 'lab' } },
      clientNodeSelector: { matchLabels: { 'offline-first.io/pool': 'client' } },
      homeNodeSelector: { matchLabels: { 'offline-first.io/pool': 'cloud' } },
      triggers: {},
      ...spec,
    },
  };
}

function policyOf(spec: Partial<OfflineFirstPlacementSpec> = {}): PlacementPolicy {
  const r = placementPolicy(placement(spec));
  if ('error' in r) throw new Error(`unexpected error: ${r.error}`);
  return r.policy;
}

describe('placementPolicy', () => {
  it('fills every absent field with its documented default', () => {
    expect(policyOf()).to.deep.equal({
      key: 'lab/room-b12',
      mode: 'Recommend',
      thresholds: { minBandwidthBytesPerSecond: 2.5e6, maxPredictedSeconds: 900, maxDirtyRateRatio: 0.5, maxDowntimeMs: 300 },
      triggers: { offlineCapabilityWanted: false },
      limits: { maxConcurrentPerPlacement: 3, maxConcurrentPerClientNode: 1 },
      cooldown: { baseSeconds: 600, maxSeconds: 4 * 3600 },
      failureBackoff: { baseSeconds: 60, maxSeconds: 3600, maxFailuresPerTarget: 3 },
      hysteresisMargin: 0.2,
      migration: { allowAutoConverge: false, allowPostCopy: false, downtimeLimitMs: 300, completionTimeoutPerGiB: 150, progressTimeoutSeconds: 150 },
      linkMaxAgeSeconds: 600,
    });
  });

  it('reads a fully specified spec, every quantity in the engine units', () => {
    expect(
      policyOf({
        mode: 'Enforce',
        clientBinding: { labelKey: 'offline-first.io/client' },
        triggers: { offlineCapabilityWanted: true, cloudLatencyAbove: '40ms', cloudBandwidthBelow: '10Mbit/s' },
        thresholds: { minBandwidth: '50Mbit/s', maxPredictedMigrationTime: '2m30s', maxDirtyRateRatio: 0.3, maxDowntime: '1s' },
        concurrency: { maxPerPlacement: 5, maxPerClientNode: 2 },
        cooldown: { base: '30s', max: '1h' },
        failureBackoff: { base: '2m', max: '2h', maxFailuresPerTarget: 5 },
        hysteresisPercent: 35,
        linkMaxAge: '90s',
        migration: { bandwidthLimit: '64Mi/s', allowAutoConverge: true, allowPostCopy: true, completionTimeoutPerGiB: 300, progressTimeout: 60 },
      }),
    ).to.deep.equal({
      key: 'lab/room-b12',
      mode: 'Enforce',
      thresholds: { minBandwidthBytesPerSecond: 6.25e6, maxPredictedSeconds: 150, maxDirtyRateRatio: 0.3, maxDowntimeMs: 1000 },
      triggers: { offlineCapabilityWanted: true, cloudRttAboveMs: 40, cloudBandwidthBelowBytesPerSecond: 1.25e6 },
      limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 2 },
      cooldown: { baseSeconds: 30, maxSeconds: 3600 },
      failureBackoff: { baseSeconds: 120, maxSeconds: 7200, maxFailuresPerTarget: 5 },
      hysteresisMargin: 0.35,
      migration: {
        bandwidthLimitBytesPerSecond: 64 * 2 ** 20,
        allowAutoConverge: true,
        allowPostCopy: true,
        downtimeLimitMs: 300,
        completionTimeoutPerGiB: 300,
        progressTimeoutSeconds: 60,
      },
      linkMaxAgeSeconds: 90,
      clientBinding: { labelKey: 'offline-first.io/client' },
    });
  });

  // [what, spec, a value picked from the policy, expected]
  const conversions: [string, Partial<OfflineFirstPlacementSpec>, (p: PlacementPolicy) => unknown, unknown][] = [
    ["minBandwidth '20Mbit/s' is 2.5e6 bytes/s", { thresholds: { minBandwidth: '20Mbit/s' } }, (p) => p.thresholds.minBandwidthBytesPerSecond, 2.5e6],
    ["minBandwidth '3MB/s' is 3e6 bytes/s", { thresholds: { minBandwidth: '3MB/s' } }, (p) => p.thresholds.minBandwidthBytesPerSecond, 3e6],
    ["maxPredictedMigrationTime '15m' is 900 s", { thresholds: { maxPredictedMigrationTime: '15m' } }, (p) => p.thresholds.maxPredictedSeconds, 900],
    ["maxPredictedMigrationTime '1h30m' is 5400 s", { thresholds: { maxPredictedMigrationTime: '1h30m' } }, (p) => p.thresholds.maxPredictedSeconds, 5400],
    ['hysteresisPercent 20 is a margin of 0.2', { hysteresisPercent: 20 }, (p) => p.hysteresisMargin, 0.2],
    ['hysteresisPercent 0 is no margin (0 is not absent)', { hysteresisPercent: 0 }, (p) => p.hysteresisMargin, 0],
    ['maxDirtyRateRatio 0 is kept (0 is not absent)', { thresholds: { maxDirtyRateRatio: 0 } }, (p) => p.thresholds.maxDirtyRateRatio, 0],
    ['maxPerPlacement 0 is kept (0 is not absent)', { concurrency: { maxPerPlacement: 0 } }, (p) => p.limits.maxConcurrentPerPlacement, 0],
    ["maxDowntime '100ms' lowers the downtime limit to 100 ms", { thresholds: { maxDowntime: '100ms' } }, (p) => [p.thresholds.maxDowntimeMs, p.migration.downtimeLimitMs], [100, 100]],
    ["maxDowntime '2s' keeps QEMU's 300 ms downtime limit", { thresholds: { maxDowntime: '2s' } }, (p) => [p.thresholds.maxDowntimeMs, p.migration.downtimeLimitMs], [2000, 300]],
    ["maxDowntime '300ms' is exactly QEMU's limit", { thresholds: { maxDowntime: '300ms' } }, (p) => [p.thresholds.maxDowntimeMs, p.migration.downtimeLimitMs], [300, 300]],
    ["cloudLatencyAbove '0.1s' is 100 ms", { triggers: { cloudLatencyAbove: '0.1s' } }, (p) => p.triggers.cloudRttAboveMs, 100],
    ["cloudBandwidthBelow '1Gbit/s' is 1.25e8 bytes/s", { triggers: { cloudBandwidthBelow: '1Gbit/s' } }, (p) => p.triggers.cloudBandwidthBelowBytesPerSecond, 1.25e8],
    ['no latency or bandwidth trigger: neither key present', { triggers: { offlineCapabilityWanted: true } }, (p) => Object.keys(p.triggers), ['offlineCapabilityWanted']],
    ['no bandwidth limit: no key present', { migration: { allowPostCopy: true } }, (p) => Object.hasOwn(p.migration, 'bandwidthLimitBytesPerSecond'), false],
    ["cooldown base '5m' is 300 s, max stays 4 h", { cooldown: { base: '5m' } }, (p) => p.cooldown, { baseSeconds: 300, maxSeconds: 14_400 }],
    ["linkMaxAge '1h' is 3600 s", { linkMaxAge: '1h' }, (p) => p.linkMaxAgeSeconds, 3600],
    ['no clientBinding: no key present', {}, (p) => Object.hasOwn(p, 'clientBinding'), false],
    ['an annotation binding is passed through', { clientBinding: { annotationKey: 'lab.example/seat' } }, (p) => p.clientBinding, { annotationKey: 'lab.example/seat' }],
  ];
  for (const [what, spec, pick, expected] of conversions) {
    it(what, () => expect(pick(policyOf(spec))).to.deep.equal(expected));
  }

  it('keys the policy by namespace/name', () => {
    const p = placement();
    p.metadata = { name: 'pool-7', namespace: 'exams' };
    const r = placementPolicy(p);
    expect('policy' in r && r.policy.key).to.equal('exams/pool-7');
  });

  // [field, spec with an unreadable value, what the message says]
  const bad: [string, Partial<OfflineFirstPlacementSpec>, RegExp][] = [
    ['spec.thresholds.minBandwidth', { thresholds: { minBandwidth: '20Mbps' } }, /expected a rate like 37Mbit\/s .*got "20Mbps"/],
    ['spec.thresholds.maxPredictedMigrationTime', { thresholds: { maxPredictedMigrationTime: '15 minutes' } }, /expected a duration like 300ms/],
    ['spec.thresholds.maxDowntime', { thresholds: { maxDowntime: '300' } }, /expected a duration like 300ms, 1.5s or 2m, got "300"/],
    ['spec.triggers.cloudLatencyAbove', { triggers: { cloudLatencyAbove: 'slow' } }, /expected a duration/],
    ['spec.triggers.cloudBandwidthBelow', { triggers: { cloudBandwidthBelow: '10Mb/s' } }, /write Mbit\/s for bits or MB\/s for bytes/],
    ['spec.cooldown.base', { cooldown: { base: '10 min' } }, /expected a duration/],
    ['spec.cooldown.max', { cooldown: { max: '1d' } }, /expected a duration/],
    ['spec.linkMaxAge', { linkMaxAge: 'ten minutes' }, /expected a duration/],
    ['spec.migration.bandwidthLimit', { migration: { bandwidthLimit: '64' } }, /a rate needs a unit/],
  ];
  for (const [field, spec, message] of bad) {
    it(`returns an error naming ${field} for a value it cannot read, without throwing`, () => {
      let r: ReturnType<typeof placementPolicy> | undefined;
      expect(() => (r = placementPolicy(placement(spec)))).not.to.throw();
      expect(r).to.have.property('error').that.is.a('string');
      expect(r).not.to.have.property('policy');
      const error = (r as { error: string }).error;
      expect(error.startsWith(`${field}: `), error).to.equal(true);
      expect(error).to.match(message);
    });
  }
});
