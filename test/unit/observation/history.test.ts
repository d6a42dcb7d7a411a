import { expect } from 'chai';
import { jitterOf, vmHistory } from '../../../src/observation/history.js';
import type { VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { PlacementAnnotations, PlacementLabels } from '../../../src/kube/placement.js';

interface Spec {
  phase: 'Succeeded' | 'Failed' | 'Running';
  target?: string;
  attempt?: number;
  failuresBefore?: number;
  targetFailuresBefore?: number;
  inputs?: string;
  endedAt?: string;
  ours?: boolean;
}

function m(name: string, s: Spec): VirtualMachineInstanceMigration {
  const annotations: Record<string, string> = {};
  if (s.attempt !== undefined) annotations[PlacementAnnotations.attempt] = String(s.attempt);
  if (s.failuresBefore !== undefined) annotations[PlacementAnnotations.failuresBefore] = String(s.failuresBefore);
  if (s.targetFailuresBefore !== undefined) annotations[PlacementAnnotations.targetFailuresBefore] = String(s.targetFailuresBefore);
  if (s.inputs !== undefined) annotations[PlacementAnnotations.inputs] = s.inputs;
  return {
    metadata: {
      name,
      namespace: 'lab',
      creationTimestamp: s.endedAt ?? '2026-01-12T08:00:00Z',
      annotations,
      ...(s.ours === false ? {} : { labels: { [PlacementLabels.placement]: 'room', [PlacementLabels.direction]: 'ToClient' } }),
    },
    spec: { vmiName: 'vm-1', addedNodeSelector: { 'kubernetes.io/hostname': s.target ?? 'pc-1' } },
    status: { phase: s.phase, migrationState: { endTimestamp: s.endedAt ?? '2026-01-12T08:10:00Z' } },
  };
}

describe('vmHistory: a VM\'s migrations as the cluster holds them', () => {
  it('has nothing to say of a VM never migrated by the operator', () => {
    expect(vmHistory([m('user', { phase: 'Failed', ours: false })])).to.deep.equal({ moves: { count: 0 }, failures: { consecutive: 0, jitter: 0, lastAttempt: 0, byTarget: {} } });
  });

  it('counts the failures since the last success, newest by attempt number, and the pair counts per target', () => {
    const h = vmHistory([
      m('a1', { phase: 'Succeeded', attempt: 1, endedAt: '2026-01-12T07:00:00Z' }),
      m('a2', { phase: 'Failed', attempt: 2, target: 'pc-1', inputs: 'x', endedAt: '2026-01-12T07:10:00Z' }),
      m('a3', { phase: 'Failed', attempt: 3, target: 'pc-2', inputs: 'y', endedAt: '2026-01-12T07:20:00Z' }),
      m('a4', { phase: 'Failed', attempt: 4, target: 'pc-1', inputs: 'z', endedAt: '2026-01-12T07:30:00Z' }),
    ]);
    expect(h.moves).to.deep.equal({ count: 1, lastMoveAtMs: Date.parse('2026-01-12T07:00:00Z') });
    expect(h.failures).to.deep.include({ consecutive: 3, lastAttempt: 4, lastFailedAtMs: Date.parse('2026-01-12T07:30:00Z'), jitter: jitterOf('a4') });
    expect(h.failures.byTarget).to.deep.equal({ 'pc-1': { count: 2, inputs: 'z' }, 'pc-2': { count: 1, inputs: 'y' } });
  });

  it('continues from the counts the newest migration carries after older ones were garbage-collected', () => {
    // KubeVirt kept only the newest: it says 6 failed before it, 4 of them to pc-1.
    const h = vmHistory([m('a9', { phase: 'Failed', attempt: 9, failuresBefore: 6, targetFailuresBefore: 4, target: 'pc-1', inputs: 'z' })]);
    expect(h.failures).to.deep.include({ consecutive: 7, lastAttempt: 9 });
    expect(h.failures.byTarget['pc-1']).to.deep.equal({ count: 5, inputs: 'z' });
  });

  it('starts over after a success', () => {
    const h = vmHistory([m('a5', { phase: 'Failed', attempt: 5, failuresBefore: 3 }), m('a6', { phase: 'Succeeded', attempt: 6 })]);
    expect(h.failures).to.deep.equal({ consecutive: 0, jitter: 0, lastAttempt: 6, byTarget: {} });
    expect(h.moves.count).to.equal(1);
  });

  it('numbers attempts past every migration of ours, finished or not, and past the count of ones without numbers', () => {
    expect(vmHistory([m('a7', { phase: 'Running', attempt: 7 })]).failures.lastAttempt).to.equal(7);
    expect(vmHistory([m('old-1', { phase: 'Succeeded' }), m('old-2', { phase: 'Failed' })]).failures.lastAttempt).to.equal(2);
  });

  it('counts a failure that only the VMI remembers (a migration deleted on abort) on top of the listed ones', () => {
    const listed = [m('a1', { phase: 'Failed', attempt: 1, target: 'pc-1', inputs: 'x', endedAt: '2026-01-12T07:10:00Z' })];
    const aborted = { migrationUid: 'uid-gone', failed: true, targetNode: 'pc-1', endTimestamp: '2026-01-12T07:20:00Z' };
    const h = vmHistory(listed, aborted);
    expect(h.failures).to.deep.include({ consecutive: 2, lastFailedAtMs: Date.parse('2026-01-12T07:20:00Z'), jitter: jitterOf('uid-gone') });
    expect(h.failures.byTarget['pc-1']).to.deep.equal({ count: 2, inputs: 'x' });
    // Older than what is listed, or the listed migration itself, or a success: nothing to add.
    expect(vmHistory(listed, { ...aborted, endTimestamp: '2026-01-12T07:00:00Z' }).failures.consecutive).to.equal(1);
    expect(vmHistory(listed, { ...aborted, failed: false, completed: true }).failures.consecutive).to.equal(1);
  });

  it('gives every failure its own jitter in [0, 1), the same on every replica', () => {
    const values = ['a', 'b', 'ofp-vm-1-0123456789', 'ofp-vm-2-0123456789'].map(jitterOf);
    for (const v of values) expect(v).to.be.within(0, 1 - 1e-12);
    expect(new Set(values).size).to.equal(values.length);
    expect(jitterOf('a')).to.equal(values[0]);
  });
});
