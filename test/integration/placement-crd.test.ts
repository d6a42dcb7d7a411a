import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { adminClient, newNamespace } from './support.js';

type Spec = Record<string, unknown>;

const validSpec = (): Spec => ({
  mode: 'Enforce',
  vmSelector: { matchLabels: { course: 'networks' } },
  clientNodeSelector: { matchLabels: { 'offline-first.io/pool': 'client' } },
  homeNodeSelector: { matchLabels: { 'offline-first.io/pool': 'cloud' } },
  clientBinding: { labelKey: 'offline-first.io/workstation' },
  triggers: { offlineCapabilityWanted: true },
});

/** Deep-sets `path` (dot separated) in a copy of the valid spec; undefined deletes. */
function variant(path: string, value: unknown): Spec {
  const spec = validSpec();
  const keys = path.split('.');
  let cur = spec as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return spec;
}

describe('the OfflineFirstPlacement CRD', () => {
  let client: KubeClient;
  let ns: string;
  before(async () => {
    client = adminClient();
    ns = await newNamespace(client, 'crd');
  });

  const create = (name: string, spec: Spec) =>
    client.create<KubeObject & { spec: Spec }>(Resources.placement, { metadata: { name, namespace: ns }, spec });

  it('accepts a valid placement and fills in the defaults', async () => {
    const p = await create('room-1-237', validSpec());
    expect(p.spec.thresholds).to.deep.equal({ minBandwidth: '20Mbit/s', maxPredictedMigrationTime: '15m', maxDirtyRateRatio: 0.5, maxDowntime: '300ms' });
    expect(p.spec.concurrency).to.deep.equal({ maxPerPlacement: 3, maxPerClientNode: 1 });
    expect(p.spec.cooldown).to.deep.equal({ base: '10m', max: '4h' });
    // Unset migration settings stay unset: KubeVirt's own apply, and no MigrationPolicy is written.
    expect(p.spec.migration).to.deep.equal({});
    expect(p.spec.hysteresisPercent).to.equal(20);
    expect(p.spec.linkMaxAge).to.equal('10m');
  });

  it('defaults the mode to Recommend, the safe dry run', async () => {
    const p = await create('no-mode', variant('mode', undefined));
    expect(p.spec.mode).to.equal('Recommend');
  });

  const invalid: [string, Spec, string][] = [
    ['an unknown mode', variant('mode', 'Sometimes'), 'spec.mode'],
    ['no VM selector', variant('vmSelector', undefined), 'spec.vmSelector'],
    ['an empty VM selector', variant('vmSelector', {}), 'vmSelector must not be empty'],
    ['an empty client node selector', variant('clientNodeSelector', { matchLabels: {} }), 'clientNodeSelector must not be empty'],
    ['the same selector for clients and home', variant('homeNodeSelector', { matchLabels: { 'offline-first.io/pool': 'client' } }), 'must differ'],
    ['both a binding label and annotation', variant('clientBinding', { labelKey: 'a', annotationKey: 'b' }), 'exactly one of clientBinding.labelKey'],
    ['no trigger at all', variant('triggers', { offlineCapabilityWanted: false }), 'at least one trigger'],
    ['a bandwidth without a unit', variant('thresholds', { minBandwidth: '20' }), 'spec.thresholds.minBandwidth'],
    ['a dirty-rate ratio above 1', variant('thresholds', { maxDirtyRateRatio: 1.5 }), 'spec.thresholds.maxDirtyRateRatio'],
    ['a zero dirty-rate ratio', variant('thresholds', { maxDirtyRateRatio: 0 }), 'spec.thresholds.maxDirtyRateRatio'],
    ['a downtime limit beyond KubeVirt’s 2000 s', variant('thresholds', { maxDowntime: '3000s' }), 'between 1ms and 2000s'],
    ['a cooldown max below its base', variant('cooldown', { base: '2h', max: '10m' }), 'cooldown.max must be at least cooldown.base'],
    ['more per client node than per placement', variant('concurrency', { maxPerPlacement: 1, maxPerClientNode: 2 }), 'must not exceed concurrency.maxPerPlacement'],
    ['post-copy for offline-capable moves', variant('migration', { allowPostCopy: true }), 'allowPostCopy cannot be combined'],
    ['a link class with post-copy for offline-capable moves', variant('linkClasses', [{ name: 'wan', nodeSelector: { matchLabels: { link: 'wan' } }, allowPostCopy: true }]), 'a link class with allowPostCopy cannot be combined'],
    ['a link class without a node selector', variant('linkClasses', [{ name: 'wan', nodeSelector: {} }]), "a link class's nodeSelector must not be empty"],
    ['a link class name that is no DNS label', variant('linkClasses', [{ name: 'Home WAN', nodeSelector: { matchLabels: { link: 'wan' } } }]), 'spec.linkClasses[0].name'],
    ['a match expression without values', variant('vmSelector', { matchExpressions: [{ key: 'course', operator: 'In' }] }), 'values must be empty for Exists'],
    ['a malformed latency trigger', variant('triggers', { cloudLatencyAbove: 'slow' }), 'expected a positive duration'],
  ];
  for (const [what, spec, expected] of invalid) {
    it(`refuses ${what}`, async () => {
      try {
        await create(`bad-${Math.random().toString(36).slice(2, 8)}`, spec);
      } catch (err) {
        expect(err).to.be.instanceOf(KubeApiError);
        expect((err as KubeApiError).status).to.equal(422);
        expect((err as KubeApiError).message).to.contain(expected);
        return;
      }
      throw new Error(`the API server accepted ${what}`);
    });
  }
});
