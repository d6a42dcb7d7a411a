import { expect } from 'chai';
import {
  clusterMigrationSettings,
  effectiveSettings,
  KUBEVIRT_MIGRATION_DEFAULTS,
  matchMigrationPolicy,
  type KubevirtMigrationPolicy,
} from '../../../../src/domain/migration/kubevirt-settings.js';

const policy = (name: string, vmi?: Record<string, string>, ns?: Record<string, string>, rest: Partial<KubevirtMigrationPolicy> = {}): KubevirtMigrationPolicy => ({
  name,
  selectors: { ...(vmi ? { virtualMachineInstanceSelector: vmi } : {}), ...(ns ? { namespaceSelector: ns } : {}) },
  ...rest,
});

describe('KubeVirt migration settings', () => {
  describe('which MigrationPolicy KubeVirt picks for a VMI', () => {
    const cases: { name: string; policies: KubevirtMigrationPolicy[]; vmi: Record<string, string> | undefined; ns: Record<string, string> | undefined; want: string | undefined }[] = [
      { name: 'no policies: none', policies: [], vmi: { app: 'a' }, ns: {}, want: undefined },
      { name: 'a policy whose VMI label differs does not match', policies: [policy('p', { app: 'b' })], vmi: { app: 'a' }, ns: {}, want: undefined },
      { name: 'every selector label must match', policies: [policy('p', { app: 'a', tier: 'x' })], vmi: { app: 'a' }, ns: {}, want: undefined },
      { name: 'a namespace label must be on the namespace', policies: [policy('p', undefined, { team: 'x' })], vmi: { app: 'a' }, ns: { team: 'y' }, want: undefined },
      { name: 'empty selectors match every VMI', policies: [policy('p')], vmi: { app: 'a' }, ns: {}, want: 'p' },
      { name: 'a policy without selectors matches nothing', policies: [{ name: 'p' }], vmi: { app: 'a' }, ns: {}, want: undefined },
      {
        name: 'the most matching labels win',
        policies: [policy('a-one', { app: 'a' }), policy('z-two', { app: 'a' }, { team: 'x' })],
        vmi: { app: 'a' },
        ns: { team: 'x' },
        want: 'z-two',
      },
      {
        name: 'on an equal total, more VMI labels win',
        policies: [policy('a-ns', undefined, { team: 'x', env: 'e' }), policy('z-vmi', { app: 'a' }, { team: 'x' })],
        vmi: { app: 'a' },
        ns: { team: 'x', env: 'e' },
        want: 'z-vmi',
      },
      { name: 'on an equal score, the smallest name wins', policies: [policy('beta', { app: 'a' }), policy('alpha', { app: 'a' })], vmi: { app: 'a' }, ns: {}, want: 'alpha' },
      {
        name: 'a VMI without labels matches every policy with selectors (KubeVirt checks them only when the VMI has labels)',
        policies: [policy('b', { app: 'x' }), policy('a', undefined, { team: 'y' })],
        vmi: undefined,
        ns: {},
        want: 'a',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(matchMigrationPolicy(c.policies, c.vmi, c.ns)?.name).to.equal(c.want);
      });
    }
  });

  describe('what KubeVirt runs a migration with', () => {
    it("takes KubeVirt's defaults without a KubeVirt resource or a policy", () => {
      expect(effectiveSettings(undefined, [], { app: 'a' }, {})).to.deep.equal({ ...KUBEVIRT_MIGRATION_DEFAULTS });
    });

    it("takes the KubeVirt resource's values, defaults where it is silent", () => {
      const s = clusterMigrationSettings({ completionTimeoutPerGiB: 50, parallelMigrationsPerCluster: 1 });
      expect(s).to.deep.equal({ ...KUBEVIRT_MIGRATION_DEFAULTS, completionTimeoutPerGiB: 50, parallelMigrationsPerCluster: 1 });
    });

    it("overrides the cluster's with the matching policy's set fields only, and names the policy", () => {
      const s = effectiveSettings(
        { completionTimeoutPerGiB: 50, progressTimeoutSeconds: 60, allowPostCopy: true, bandwidthPerMigrationBytesPerSecond: 1e6 },
        [policy('slow-wan', { app: 'a' }, undefined, { completionTimeoutPerGiB: 400, allowAutoConverge: true, maxDowntimeMs: 500 }), policy('other', { app: 'b' }, undefined, { completionTimeoutPerGiB: 1 })],
        { app: 'a' },
        {},
      );
      expect(s).to.deep.equal({
        ...KUBEVIRT_MIGRATION_DEFAULTS,
        completionTimeoutPerGiB: 400,
        progressTimeoutSeconds: 60,
        allowPostCopy: true,
        allowAutoConverge: true,
        bandwidthPerMigrationBytesPerSecond: 1e6,
        maxDowntimeMs: 500,
        policy: 'slow-wan',
      });
    });

    it('keeps the cluster limits whatever the policy (a policy has none)', () => {
      const s = effectiveSettings({ parallelMigrationsPerCluster: 1, parallelOutboundMigrationsPerNode: 1 }, [policy('p', {}, undefined, { completionTimeoutPerGiB: 9 })], { app: 'a' }, {});
      expect([s.parallelMigrationsPerCluster, s.parallelOutboundMigrationsPerNode, s.policy]).to.deep.equal([1, 1, 'p']);
    });
  });
});
