/** A rejection the reason alone does not explain names what exactly: the taints, the KubeVirt label. */
import { expect } from 'chai';
import { planPlacements, Reasons } from '../../../../src/domain/placement/index.js';
import { NodeLabels } from '../../../../src/domain/placement/node-labels.js';
import { goodWorld, mapNode, planInput } from './fixtures.js';

describe('planPlacements: what a rejected client is missing', () => {
  // [what, change to the client, reason, detail]
  const cases: [string, Parameters<typeof mapNode>[2], string, string | undefined][] = [
    ['the not-ready taint the API server puts on a new node', (n) => ({ ...n, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }), Reasons.NodeTainted, 'node.kubernetes.io/not-ready:NoSchedule'],
    ['two taints, one of them PreferNoSchedule (not blocking)', (n) => ({ ...n, taints: [{ key: 'dedicated', value: 'exam', effect: 'NoExecute' }, { key: 'soft', effect: 'PreferNoSchedule' }] }), Reasons.NodeTainted, 'dedicated=exam:NoExecute'],
    ['KubeVirt not schedulable', (n) => ({ ...n, labels: { ...n.labels, [NodeLabels.kubevirtSchedulable]: 'false' } }), Reasons.KubevirtNotSchedulable, 'label kubevirt.io/schedulable is not "true"'],
    ['a cordon (the reason says it all)', (n) => ({ ...n, unschedulable: true }), Reasons.NodeUnschedulable, undefined],
  ];
  for (const [what, change, reason, detail] of cases) {
    it(`names ${what}`, () => {
      const d = planPlacements(planInput(mapNode(goodWorld(), 'pc-1', change))).decisions[0]!;
      expect(d.rejected).to.deep.equal([{ node: 'pc-1', reason, ...(detail ? { detail } : {}) }]);
    });
  }
});
