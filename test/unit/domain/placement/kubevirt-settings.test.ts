/**
 * The planner predicts with the settings KubeVirt will use for the VM when they are known (its
 * KubeVirt resource, then the matching MigrationPolicy), the placement's spec.migration otherwise.
 */
import { expect } from 'chai';
import { KUBEVIRT_MIGRATION_DEFAULTS, type EffectiveMigrationSettings } from '../../../../src/domain/migration/kubevirt-settings.js';
import { planPlacements, Reasons } from '../../../../src/domain/placement/index.js';
import { goodWorld, MB, mapVms, planInput, withMigration, type World } from './fixtures.js';

const decide = (w: World) => planPlacements(planInput(w)).decisions[0]!;
const withSettings = (w: World, s: Partial<EffectiveMigrationSettings>): World => mapVms(w, (v) => ({ ...v, migrationSettings: { ...KUBEVIRT_MIGRATION_DEFAULTS, ...s } }));

describe("planPlacements: KubeVirt's effective migration settings", () => {
  it("predicts an abort from KubeVirt's completion budget, not the placement's", () => {
    const w = withSettings({ ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 800 }) }, { completionTimeoutPerGiB: 1 });
    expect(decide(w)).to.include({ action: 'Stay', reason: Reasons.KubevirtWouldAbort });
  });

  it("moves under a policy's generous budget although the placement's would abort, and names the policy", () => {
    const w = withSettings({ ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 1 }) }, { completionTimeoutPerGiB: 150, policy: 'slow-wan' });
    const d = decide(w);
    expect(d).to.include({ action: 'MoveToClient' });
    expect(d.prediction?.migrationPolicy).to.equal('slow-wan');
  });

  it("predicts at KubeVirt's bandwidthPerMigration when it is below the link", () => {
    const unlimited = decide(withSettings(goodWorld(), {}));
    const limited = decide(withSettings(goodWorld(), { bandwidthPerMigrationBytesPerSecond: 10 * MB }));
    expect(limited.prediction?.bandwidthBytesPerSecond).to.equal(10 * MB);
    expect(limited.prediction!.seconds).to.be.greaterThan(unlimited.prediction!.seconds);
  });

  it("keeps the placement's settings when the VM has none", () => {
    const w = { ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 1 }) };
    expect(decide(w)).to.include({ action: 'Stay', reason: Reasons.KubevirtWouldAbort });
    expect(decide(goodWorld()).prediction?.migrationPolicy).to.equal(undefined);
  });
});
