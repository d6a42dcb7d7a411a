/** The demo's pure parts: a scenario isolated for a shared cluster, and the live view. */
import { expect } from 'chai';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../../../../src/kube/placement.js';
import { matchesSelector } from '../../../../src/kube/selectors.js';
import { renderLiveView } from '../../../../src/sim/demo/live-view.js';
import { isolateScenario, RUN_LABEL } from '../../../../src/sim/demo/setup.js';
import { builtinScenario } from '../../../../src/sim/scenario/load.js';
import { parseOptions } from '../scenario/support.js';

describe('demo: set-up and live view', () => {
  const lab = builtinScenario('lab-room', parseOptions());

  it('isolates a scenario: its own node names, namespace and selectors that match only its nodes', () => {
    const s = isolateScenario(lab, 'run1', 'ns1');
    expect(s.nodes[0]).to.include({ name: 'run1-dc-1' });
    expect(s.nodes[0]!.labels).to.include({ [RUN_LABEL]: 'run1' });
    expect(s.vms[0]).to.include({ namespace: 'ns1', key: 'ns1/student-01', client: 'run1-ws-237-01' });
    expect(s.vms[0]!.startNode).to.match(/^run1-dc-\d$/);
    const spec = s.placements[0]!.spec;
    expect(s.placements[0]).to.include({ namespace: 'ns1', key: 'ns1/lab-room-1-237' });
    const clients = s.nodes.filter((n) => matchesSelector(spec.clientNodeSelector, n.labels));
    expect(clients).to.have.length(24);
    expect(matchesSelector(spec.clientNodeSelector, lab.nodes[5]!.labels)).to.equal(false);
    expect(matchesSelector(spec.homeNodeSelector, { ...lab.nodes[0]!.labels })).to.equal(false);
  });

  it('shows placed, migrations by phase, VMs per node and the clients as a strip', () => {
    const vmi = (name: string, node: string) => ({ metadata: { name, namespace: 'lab' }, spec: { domain: {} }, status: { nodeName: node } }) as VirtualMachineInstance;
    const migration = (phase: string, target: string) =>
      ({ metadata: { name: `m-${target}`, namespace: 'lab' }, spec: { vmiName: 'x', addedNodeSelector: { 'kubernetes.io/hostname': target } }, status: { phase } }) as VirtualMachineInstanceMigration;
    const placement = {
      metadata: { name: 'lab-room-1-237', namespace: 'lab' },
      spec: lab.placements[0]!.spec,
      status: {
        placed: '1/24',
        vms: { selected: 24, onClients: 1, atHome: 23, migrating: 1, runningOffline: 0 },
        conditions: [{ type: 'Ready', status: 'True', reason: 'Planned', message: '', lastTransitionTime: '' }],
        decisions: [
          { vm: 'student-01', action: 'Stay', reason: 'Placed' },
          { vm: 'student-07', action: 'Stay', reason: 'DirtyRateTooHigh' },
        ],
      },
    } as OfflineFirstPlacement;
    const view = renderLiveView({
      title: 'offline-first demo: lab-room',
      elapsedMs: 12_400,
      scenario: lab,
      placements: [placement],
      migrations: [migration('Running', 'ws-237-02'), migration('Succeeded', 'ws-237-01')],
      vmis: [vmi('student-01', 'ws-237-01'), vmi('student-02', 'dc-1'), vmi('student-03', 'dc-1')],
      note: 'the clients announce their departure in 30 s',
    });
    expect(view.split('\n')).to.deep.equal([
      'offline-first demo: lab-room  12 s  (Ctrl-C stops and cleans up)',
      'the clients announce their departure in 30 s',
      '',
      'placement lab/lab-room-1-237: placed 1/24, migrating 1, running offline 0; Ready True (Planned)',
      '  decisions: 1 Stay/Placed, 1 Stay/DirtyRateTooHigh',
      'migrations: 1 Running, 1 Succeeded',
      'data centre: dc-1 2  dc-2 0  dc-3 0  dc-4 0',
      `clients:     #>${'.'.repeat(22)}  1 of 24 host a VM`,
      '',
    ]);
  });
});
