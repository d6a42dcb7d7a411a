import { expect } from 'chai';
import { RecordingActuator } from '../../../src/actuation/actuator.js';
import { syncManagedPolicies } from '../../../src/controllers/placement/managed-policies.js';
import type { MigrationPolicy } from '../../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement, OfflineFirstPlacementSpec } from '../../../src/kube/placement.js';
import { managedPolicyIntent, type ManagedPolicyIntent } from '../../../src/observation/managed-policy.js';
import { placement } from '../observation/fixtures.js';

const FINALIZER = 'placement.offline-first.io/migration-policy';

function room(spec: Partial<OfflineFirstPlacementSpec>, o: { finalizer?: boolean; deleting?: boolean } = {}): OfflineFirstPlacement {
  const p = placement('room', '2026-01-10T08:00:00Z', spec);
  return { ...p, metadata: { ...p.metadata, ...(o.finalizer ? { finalizers: [FINALIZER] } : {}), ...(o.deleting ? { deletionTimestamp: '2026-01-12T09:00:00Z' } : {}) } };
}

const intents = (...ps: OfflineFirstPlacement[]) => new Map(ps.flatMap((p) => (p.metadata.deletionTimestamp ? [] : [managedPolicyIntent(p)].filter((i): i is ManagedPolicyIntent => i !== undefined).map((i) => [i.placementKey, i] as const))));
const policyOf = (p: OfflineFirstPlacement) => managedPolicyIntent(p)!.desired!;

async function sync(placements: OfflineFirstPlacement[], policies: MigrationPolicy[] | undefined) {
  const a = new RecordingActuator();
  await syncManagedPolicies({ placements, intents: intents(...placements), policies }, a);
  return a.writes.filter((w) => w.kind !== 'event').map((w) => `${w.kind} ${w.key} ${JSON.stringify(w.detail)}`);
}

describe('syncManagedPolicies', () => {
  const asking = room({ migration: { allowAutoConverge: true } });

  it('adds the finalizer, then applies the policy, for an Enforce placement that asks for settings', async () => {
    expect(await sync([asking], [])).to.deep.equal([
      `finalizer lab/room {"finalizer":"${FINALIZER}","present":true}`,
      `policy offline-first.lab.room {"apply":${JSON.stringify(policyOf(asking).spec)}}`,
    ]);
  });

  it('writes nothing when the policy is as desired and the finalizer held', async () => {
    const held = room({ migration: { allowAutoConverge: true } }, { finalizer: true });
    expect(await sync([held], [policyOf(held)])).to.deep.equal([]);
  });

  it('updates a policy whose spec fell behind', async () => {
    const held = room({ migration: { allowAutoConverge: true } }, { finalizer: true });
    const old = policyOf(room({ migration: { allowAutoConverge: false } }));
    expect(await sync([held], [old])).to.deep.equal([`policy offline-first.lab.room {"apply":${JSON.stringify(policyOf(held).spec)}}`]);
  });

  // [what, the placement, then: the policy deleted and the finalizer removed]
  const letGo: [string, OfflineFirstPlacement][] = [
    ['spec.migration no longer asks', room({}, { finalizer: true })],
    ['Recommend mode', room({ mode: 'Recommend', migration: { allowAutoConverge: true } }, { finalizer: true })],
    ['the placement is being deleted', room({ migration: { allowAutoConverge: true } }, { finalizer: true, deleting: true })],
  ];
  for (const [what, p] of letGo) {
    it(`deletes the policy and then lets go of the placement when ${what}`, async () => {
      expect(await sync([p], [policyOf(asking)])).to.deep.equal([
        'policy offline-first.lab.room {"delete":true}',
        `finalizer lab/room {"finalizer":"${FINALIZER}","present":false}`,
      ]);
    });
  }

  it('lets a deleted placement go when the MigrationPolicy API is not served', async () => {
    expect(await sync([room({ migration: { allowAutoConverge: true } }, { finalizer: true, deleting: true })], undefined)).to.deep.equal([`finalizer lab/room {"finalizer":"${FINALIZER}","present":false}`]);
  });

  it('deletes a managed policy whose placement is gone, and leaves other policies alone', async () => {
    const foreign: MigrationPolicy = { metadata: { name: 'gold', labels: { tier: 'gold' } }, spec: { selectors: {} } };
    expect(await sync([], [policyOf(asking), foreign])).to.deep.equal(['policy offline-first.lab.room {"delete":true}']);
  });
});
