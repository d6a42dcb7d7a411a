/**
 * A placement's status from its plan: conditions whose lastTransitionTime moves only with their
 * status, the counts, the bounded decision table, and the rule that the plan time alone is no change.
 */
import { expect } from 'chai';
import { setCondition } from '../../../src/controllers/placement/conditions.js';
import type { PlacementProblem } from '../../../src/observation/gather.js';
import { MAX_DECISIONS, placementStatus, statusChanged, type PlacementFacts } from '../../../src/controllers/placement/status.js';
import type { Action, Decision } from '../../../src/domain/placement/index.js';
import type { Condition } from '../../../src/kube/objects.js';
import type { OfflineFirstPlacement, OfflineFirstPlacementStatus } from '../../../src/kube/placement.js';
import type { MigrationPolicy } from '../../../src/kube/kubevirt.js';
import type { ManagedPolicyIntent } from '../../../src/observation/managed-policy.js';

const T0 = '2026-01-12T09:00:00.000Z';
const T1 = '2026-01-12T09:05:00.000Z';
const KEY = 'lab/room-b12';

function placement(status?: OfflineFirstPlacementStatus, mode: 'Enforce' | 'Recommend' = 'Enforce'): OfflineFirstPlacement {
  return {
    apiVersion: 'placement.offline-first.io/v1alpha1',
    kind: 'OfflineFirstPlacement',
    metadata: { name: 'room-b12', namespace: 'lab', generation: 4 },
    spec: { mode, vmSelector: {}, clientNodeSelector: {}, homeNodeSelector: {}, triggers: {} },
    ...(status ? { status } : {}),
  };
}

function decision(vm: string, action: Action, overrides: Partial<Decision> = {}): Decision {
  return {
    vmKey: `lab/${vm}`,
    placementKey: KEY,
    currentNode: 'home-1',
    action,
    reason: action === 'Stay' ? 'Placed' : action === 'Blocked' ? 'NotLiveMigratable' : action === 'Wait' ? 'ConcurrencyLimit' : 'OfflineCapabilityWanted',
    message: `${vm}: ${action}`,
    rejected: [],
    rejectedCounts: {},
    ...overrides,
  };
}

function facts(overrides: Partial<PlacementFacts> = {}): PlacementFacts {
  return {
    decisions: [decision('vm-1', 'Stay'), decision('vm-2', 'Stay', { currentNode: 'pc-1' })],
    migrationOf: new Map(),
    onClients: 1,
    atHome: 1,
    migrating: 0,
    runningOffline: 0,
    clientNodes: 2,
    homeNodes: 1,
    problems: [],
    ...overrides,
  };
}

const conditionOf = (s: OfflineFirstPlacementStatus, type: string) => s.conditions?.find((c) => c.type === type);
const brief = (c: Condition | undefined) => c && { status: c.status, reason: c.reason };

describe('setCondition', () => {
  const ready: Condition = { type: 'Ready', status: 'True', reason: 'Planned', message: 'ok', lastTransitionTime: T0, observedGeneration: 1 };
  const progressing: Condition = { type: 'Progressing', status: 'False', reason: 'Settled', message: 'idle', lastTransitionTime: T0 };

  it('adds a new condition with the current time', () => {
    expect(setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Planned', message: 'ok' }, T1)).to.deep.equal([
      { type: 'Ready', status: 'True', reason: 'Planned', message: 'ok', lastTransitionTime: T1 },
    ]);
  });

  it('appends a new condition after the existing ones', () => {
    const list = setCondition([ready], { type: 'Progressing', status: 'False', reason: 'Settled', message: 'idle' }, T1);
    expect(list.map((c) => [c.type, c.lastTransitionTime])).to.deep.equal([['Ready', T0], ['Progressing', T1]]);
  });

  it('keeps lastTransitionTime when the status is unchanged, but takes the new reason, message and generation', () => {
    const [c] = setCondition([ready], { type: 'Ready', status: 'True', reason: 'Replanned', message: 'still ok', observedGeneration: 2 }, T1);
    expect(c).to.deep.equal({ type: 'Ready', status: 'True', reason: 'Replanned', message: 'still ok', observedGeneration: 2, lastTransitionTime: T0 });
  });

  const transitions: [Condition['status'], Condition['status']][] = [['True', 'False'], ['False', 'True'], ['True', 'Unknown'], ['Unknown', 'False']];
  for (const [from, to] of transitions) {
    it(`moves lastTransitionTime when the status goes from ${from} to ${to}`, () => {
      const [c] = setCondition([{ ...ready, status: from }], { type: 'Ready', status: to, reason: 'X', message: 'y' }, T1);
      expect(c).to.include({ status: to, lastTransitionTime: T1 });
    });
  }

  it('replaces the condition in place and leaves the others and their order alone', () => {
    const list = setCondition([ready, progressing], { type: 'Ready', status: 'False', reason: 'NoHomeNodes', message: 'none' }, T1);
    expect(list.map((c) => c.type)).to.deep.equal(['Ready', 'Progressing']);
    expect(list[1]).to.deep.equal(progressing);
  });

  it('does not modify the list it was given', () => {
    const existing = [ready, progressing];
    const before = JSON.stringify(existing);
    setCondition(existing, { type: 'Ready', status: 'False', reason: 'NoHomeNodes', message: 'none' }, T1);
    expect(JSON.stringify(existing)).to.equal(before);
  });
});

describe('placementStatus', () => {
  it('counts the VMs and writes placed as "on clients/selected"', () => {
    const s = placementStatus(placement(), facts({ decisions: [decision('a', 'Stay'), decision('b', 'Stay'), decision('c', 'MoveToClient')], onClients: 1, atHome: 2, migrating: 1, runningOffline: 1 }), T0);
    expect(s).to.deep.include({
      observedGeneration: 4,
      placed: '1/3',
      vms: { selected: 3, onClients: 1, atHome: 2, migrating: 1, runningOffline: 1 },
      decisionsTruncated: 0,
    });
  });

  it('lists VMs with an action first, then Wait, Blocked and Stay, by VM name within each', () => {
    const decisions = [
      decision('e', 'Stay'),
      decision('d', 'Blocked'),
      decision('c', 'Wait'),
      decision('b', 'ReturnHome'),
      decision('f', 'MoveToClient'),
      decision('a', 'Stay'),
      decision('g', 'MoveToClient'),
    ];
    const s = placementStatus(placement(), facts({ decisions }), T0);
    expect(s.decisions!.map((d) => `${d.action}:${d.vm}`)).to.deep.equal([
      'ReturnHome:b',
      'MoveToClient:f',
      'MoveToClient:g',
      'Wait:c',
      'Blocked:d',
      'Stay:a',
      'Stay:e',
    ]);
  });

  const sizes: [number, number, number][] = [
    [MAX_DECISIONS - 1, MAX_DECISIONS - 1, 0],
    [MAX_DECISIONS, MAX_DECISIONS, 0],
    [MAX_DECISIONS + 1, MAX_DECISIONS, 1],
    [MAX_DECISIONS + 37, MAX_DECISIONS, 37],
  ];
  for (const [n, listed, truncated] of sizes) {
    it(`lists ${listed} of ${n} decisions and counts ${truncated} left out`, () => {
      const decisions = Array.from({ length: n }, (_, i) => decision(`vm-${String(i).padStart(3, '0')}`, 'Stay'));
      const s = placementStatus(placement(), facts({ decisions }), T0);
      expect(s.decisions).to.have.length(listed);
      expect(s.decisionsTruncated).to.equal(truncated);
      expect(s.vms?.selected).to.equal(n);
    });
  }

  it('keeps the VMs with an action when the table is cut', () => {
    const stays = Array.from({ length: MAX_DECISIONS + 5 }, (_, i) => decision(`a-${String(i).padStart(3, '0')}`, 'Stay'));
    const s = placementStatus(placement(), facts({ decisions: [...stays, decision('z-move', 'MoveToClient'), decision('z-wait', 'Wait')] }), T0);
    expect(s.decisions!.slice(0, 2).map((d) => d.vm)).to.deep.equal(['z-move', 'z-wait']);
    expect(s.decisionsTruncated).to.equal(7);
  });

  it('writes one decision with its VM name, nodes, migration, rounded score and prediction (naming the MigrationPolicy), and at most five rejections', () => {
    const d = decision('vm-1', 'MoveToClient', {
      desiredNode: 'pc-1',
      score: { total: 0.123456, benefit: 1, cost: 0.876544, benefitParts: { offlineCapability: 1 }, costParts: { predictedTime: 0.5004, downtime: 0.376144 } },
      prediction: {
        seconds: 123.456,
        bytes: 2147483648.4,
        downtimeMs: 87.654,
        converges: true,
        completes: true,
        mode: 'PreCopy',
        bandwidthBytesPerSecond: 12.5e6,
        dirtyRateConfidence: 'fallback',
        linkConfidence: 'fresh',
        budgetSeconds: 450,
        migrationPolicy: 'slow-wan',
      },
      rejected: ['pc-2', 'pc-3', 'pc-4', 'pc-5', 'pc-6', 'pc-7'].map((node) => ({ node, reason: 'NoLinkData' as const })),
      message: 'x'.repeat(2000),
    });
    const s = placementStatus(placement(), facts({ decisions: [d], migrationOf: new Map([['lab/vm-1', 'ofp-vm-1-abc']]) }), T0);
    const [row] = s.decisions!;
    expect(row).to.deep.equal({
      vm: 'vm-1',
      node: 'home-1',
      desiredNode: 'pc-1',
      action: 'MoveToClient',
      reason: 'OfflineCapabilityWanted',
      message: 'x'.repeat(1024),
      score: { total: 0.123, benefit: 1, cost: 0.877, parts: { offlineCapability: 1, predictedTime: -0.5, downtime: -0.376 } },
      predicted: { seconds: 123.5, downtimeMs: 87.7, bytes: 2147483648, converges: true, dirtyRateConfidence: 'fallback', linkConfidence: 'fresh', migrationPolicy: 'slow-wan' },
      migration: 'ofp-vm-1-abc',
      rejected: ['pc-2', 'pc-3', 'pc-4', 'pc-5', 'pc-6'].map((node) => ({ node, reason: 'NoLinkData' })),
    });
  });

  it('leaves out what a decision does not have', () => {
    const [row] = placementStatus(placement(), facts({ decisions: [decision('vm-1', 'Stay')] }), T0).decisions!;
    expect(row).to.deep.equal({ vm: 'vm-1', node: 'home-1', action: 'Stay', reason: 'Placed', message: 'vm-1: Stay' });
  });

  const claim = (placementKey: string, vm: string): PlacementProblem => ({
    placementKey,
    reason: 'VMClaimedByOtherPlacement',
    message: `VMI lab/${vm} is also selected by the older placement lab/older`,
  });
  const invalid: PlacementProblem = { placementKey: KEY, reason: 'InvalidSpec', message: 'spec.thresholds.minBandwidth: expected a rate like 37Mbit/s or 2.5MB/s, got "20Mbps"' };

  // [what, facts, SelectorsMatch, Ready]
  const conditionRows: [string, Partial<PlacementFacts>, { status: string; reason: string }, { status: string; reason: string; message?: string | RegExp }][] = [
    ['all selectors match', {}, { status: 'True', reason: 'Matched' }, { status: 'True', reason: 'Planned', message: 'enforcing a plan for 2 VMs' }],
    [
      'the spec is invalid',
      { decisions: [], clientNodes: 0, homeNodes: 0, onClients: 0, atHome: 0, problems: [invalid] },
      { status: 'Unknown', reason: 'InvalidSpec' },
      { status: 'False', reason: 'InvalidSpec', message: invalid.message },
    ],
    [
      'no VM is selected',
      { decisions: [], onClients: 0, atHome: 0 },
      { status: 'False', reason: 'NoVMsSelected' },
      { status: 'False', reason: 'NoVMsSelected', message: 'vmSelector matches no VirtualMachineInstance in this namespace' },
    ],
    ['no client node is selected', { clientNodes: 0 }, { status: 'False', reason: 'NoClientNodes' }, { status: 'False', reason: 'NoClientNodes', message: 'clientNodeSelector matches no node' }],
    ['no home node is selected', { homeNodes: 0 }, { status: 'False', reason: 'NoHomeNodes' }, { status: 'False', reason: 'NoHomeNodes', message: /VMs could not return home/ }],
    ['no VMs and no nodes: the VMs are reported first', { decisions: [], clientNodes: 0, homeNodes: 0 }, { status: 'False', reason: 'NoVMsSelected' }, { status: 'False', reason: 'NoVMsSelected' }],
    ['a VM is claimed by an older placement: still planned', { problems: [claim(KEY, 'vm-9')] }, { status: 'False', reason: 'VMClaimedByOtherPlacement' }, { status: 'True', reason: 'Planned' }],
    // Every VM it selects belongs to an older placement: that is why it has none, not "matches nothing".
    [
      'every VM it selects is claimed by an older placement',
      { decisions: [], onClients: 0, atHome: 0, problems: [claim(KEY, 'vm-1'), claim(KEY, 'vm-2')] },
      { status: 'False', reason: 'VMClaimedByOtherPlacement' },
      { status: 'False', reason: 'VMClaimedByOtherPlacement', message: /every VM it selects belongs to an older placement: VMI lab\/vm-1 is also selected/ },
    ],
    ['a VM is claimed and no home node: the selector problem wins', { homeNodes: 0, problems: [claim(KEY, 'vm-9')] }, { status: 'False', reason: 'NoHomeNodes' }, { status: 'False', reason: 'NoHomeNodes' }],
  ];
  for (const [what, f, selectorsMatch, ready] of conditionRows) {
    it(`when ${what}: SelectorsMatch ${selectorsMatch.status}/${selectorsMatch.reason}, Ready ${ready.status}/${ready.reason}`, () => {
      const s = placementStatus(placement(), facts(f), T0);
      expect(brief(conditionOf(s, 'SelectorsMatch'))).to.deep.equal(selectorsMatch);
      const r = conditionOf(s, 'Ready')!;
      expect(brief(r)).to.deep.equal({ status: ready.status, reason: ready.reason });
      if (typeof ready.message === 'string') expect(r.message).to.equal(ready.message);
      else if (ready.message) expect(r.message).to.match(ready.message);
      for (const c of s.conditions!) expect(c).to.include({ observedGeneration: 4, lastTransitionTime: T0 });
    });
  }

  it('names the first three claimed VMs in SelectorsMatch and counts the rest', () => {
    const problems = Array.from({ length: 7 }, (_, i) => claim(KEY, `vm-${i}`));
    const c = conditionOf(placementStatus(placement(), facts({ problems }), T0), 'SelectorsMatch')!;
    expect(c.message!.split('; ')).to.deep.equal([...problems.slice(0, 3).map((p) => p.message), 'and 4 more']);
  });

  it('says InputsValid False with the count and the first three problems, True when there are none', () => {
    const inputProblems = ['Node pc-1: a', 'Node pc-2: b', 'VMI lab/vm-1: c', 'VMI lab/vm-2: d'];
    const bad = conditionOf(placementStatus(placement(), facts({ inputProblems }), T0), 'InputsValid')!;
    expect(brief(bad)).to.deep.equal({ status: 'False', reason: 'InvalidInput' });
    expect(bad.message).to.equal('4 input values could not be used: Node pc-1: a; Node pc-2: b; VMI lab/vm-1: c; and 1 more');
    expect(brief(conditionOf(placementStatus(placement(), facts(), T0), 'InputsValid'))).to.deep.equal({ status: 'True', reason: 'AllInputsUsable' });
  });

  it('says MigrationsHealthy False while a migration hangs', () => {
    const c = conditionOf(placementStatus(placement(), facts({ hangs: ['ofp-vm-1-abc has not started running after 400 s'] }), T0), 'MigrationsHealthy')!;
    expect(brief(c)).to.deep.equal({ status: 'False', reason: 'MigrationHung' });
    expect(c.message).to.match(/1 migrations hang: ofp-vm-1-abc/);
  });

  it('counts VMs and nodes in the Matched message', () => {
    expect(conditionOf(placementStatus(placement(), facts(), T0), 'SelectorsMatch')!.message).to.equal('2 VMs, 2 client nodes, 1 home nodes');
  });

  it('says recommending in Ready for a Recommend placement', () => {
    expect(conditionOf(placementStatus(placement(undefined, 'Recommend'), facts(), T0), 'Ready')!.message).to.equal('recommending a plan for 2 VMs');
  });

  const progressing: [number, { status: string; reason: string }, string][] = [
    [0, { status: 'False', reason: 'Settled' }, 'no migration in progress'],
    [3, { status: 'True', reason: 'Migrating' }, '3 migrations in progress'],
  ];
  for (const [migrating, expected, message] of progressing) {
    it(`reports Progressing ${expected.status}/${expected.reason} with ${migrating} migrations open`, () => {
      const c = conditionOf(placementStatus(placement(), facts({ migrating }), T0), 'Progressing');
      expect(brief(c)).to.deep.equal(expected);
      expect(c!.message).to.equal(message);
    });
  }

  it('writes the six conditions in a stable order', () => {
    expect(placementStatus(placement(), facts(), T0).conditions!.map((c) => c.type)).to.deep.equal(['SelectorsMatch', 'Ready', 'Progressing', 'InputsValid', 'MigrationsHealthy', 'MigrationSettingsApplied']);
  });

  it('keeps lastTransitionTime of unchanged conditions across plans and moves it for the ones that changed', () => {
    const first = placementStatus(placement(), facts(), T0);
    const second = placementStatus(placement(first), facts({ migrating: 1 }), T1);
    expect(Object.fromEntries(second.conditions!.map((c) => [c.type, c.lastTransitionTime]))).to.deep.equal({ SelectorsMatch: T0, Ready: T0, Progressing: T1, InputsValid: T0, MigrationsHealthy: T0, MigrationSettingsApplied: T0 });
  });

  describe('MigrationSettingsApplied', () => {
    const desired = { metadata: { name: 'offline-first.lab.room' } } as MigrationPolicy;
    // [what, mode, intent, VMs not governed by it, status, reason, words in the message]
    const cases: [string, 'Enforce' | 'Recommend', ManagedPolicyIntent | undefined, string[], string, string, string[]][] = [
      ['no settings asked', 'Enforce', undefined, [], 'True', 'KubevirtSettings', ["KubeVirt's own apply"]],
      ['only progressTimeout, which no policy carries', 'Enforce', { placementKey: 'lab/room', classes: [], notCarried: ['spec.migration.progressTimeout: not carried'] }, [], 'True', 'KubevirtSettings', ['progressTimeout']],
      ['its policy governs every VM', 'Enforce', { placementKey: 'lab/room', desired, classes: [], notCarried: [] }, [], 'True', 'PolicyApplied', ['offline-first.lab.room governs its 2 VMs']],
      ['Recommend mode', 'Recommend', { placementKey: 'lab/room', desired, classes: [], notCarried: [] }, [], 'True', 'PolicyPlanned', ['would govern']],
      ['another policy wins for one VM', 'Enforce', { placementKey: 'lab/room', desired, classes: [], notCarried: [] }, ['vm-2: KubeVirt would migrate it with MigrationPolicy gold'], 'False', 'OverriddenByPolicy', ['1 of 2 VMs', 'gold']],
      ['a selector a policy cannot express', 'Enforce', { placementKey: 'lab/room', refusal: 'vmSelector must use matchLabels only', classes: [], notCarried: [] }, ['vm-1: x', 'vm-2: x'], 'False', 'NotExpressible', ['matchLabels only', 'not moved to clients']],
    ];
    for (const [what, mode, intent, notApplied, status, reason, words] of cases) {
      it(`is ${status} ${reason} when ${what}`, () => {
        const c = conditionOf(placementStatus(placement(undefined, mode), facts({ ...(intent ? { managedPolicy: intent } : {}), settingsNotApplied: notApplied }), T0), 'MigrationSettingsApplied');
        expect(brief(c)).to.deep.equal({ status, reason });
        for (const word of words) expect(c!.message).to.contain(word);
      });
    }
  });

  it('keeps conditions it does not own', () => {
    const foreign: Condition = { type: 'Audited', status: 'True', reason: 'Checked', message: 'by hand', lastTransitionTime: T0 };
    const s = placementStatus(placement({ conditions: [foreign] }), facts(), T1);
    expect(s.conditions![0]).to.deep.equal(foreign);
  });
});

describe('statusChanged', () => {
  const base = placementStatus(placement(), facts(), T0);

  it('sees no change when only lastPlanTime differs', () => {
    expect(statusChanged({ ...base, lastPlanTime: T0 }, { ...base, lastPlanTime: T1 })).to.equal(false);
    expect(statusChanged({ ...base, lastPlanTime: T0 }, base)).to.equal(false);
  });

  it('sees no change when the same facts are planned again later', () => {
    expect(statusChanged({ ...base, lastPlanTime: T0 }, placementStatus(placement(base), facts(), T1))).to.equal(false);
  });

  const changes: [string, OfflineFirstPlacementStatus][] = [
    ['a count', { ...base, vms: { ...base.vms!, onClients: 2 } }],
    ['placed', { ...base, placed: '2/2' }],
    ['a decision', { ...base, decisions: [{ ...base.decisions![0]!, action: 'MoveToClient' }, ...base.decisions!.slice(1)] }],
    ['a condition message', { ...base, conditions: base.conditions!.map((c) => (c.type === 'Ready' ? { ...c, message: 'other' } : c)) }],
    ['observedGeneration', { ...base, observedGeneration: 5 }],
  ];
  for (const [what, next] of changes) {
    it(`sees a change in ${what}`, () => expect(statusChanged(base, next)).to.equal(true));
  }

  it('sees a change from no status at all', () => {
    expect(statusChanged(undefined, base)).to.equal(true);
  });
});
