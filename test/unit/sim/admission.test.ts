/**
 * virt-api's admission of a new VirtualMachineInstanceMigration, as the simulator applies it: every
 * reason a creation is refused, and the JSON patch of the mutating webhook.
 */
import { expect } from 'chai';
import { KubevirtLabels, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { mutateMigration, refuseMigration } from '../../../src/sim/kubevirt/admission.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';

function migration(name: string, overrides: Partial<VirtualMachineInstanceMigration['metadata']> = {}, spec: Partial<VirtualMachineInstanceMigration['spec']> = {}, phase?: string): VirtualMachineInstanceMigration {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name, namespace: 'lab', ...overrides },
    spec: { vmiName: 'vm-1', ...spec },
    ...(phase ? { status: { phase: phase as NonNullable<VirtualMachineInstanceMigration['status']>['phase'] } } : {}),
  };
}

const running = (f: { phase?: string; liveMigratable?: true | string } = {}) => vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'home-1', ...f });

function withoutCondition(vmi: VirtualMachineInstance, type: string): VirtualMachineInstance {
  return { ...vmi, status: { ...vmi.status, conditions: (vmi.status?.conditions ?? []).filter((c) => c.type !== type) } };
}

describe('refuseMigration (virt-api create admitter)', () => {
  // [what, migration, VMI, other migrations of the VMI, refusal]
  const rows: [string, VirtualMachineInstanceMigration, VirtualMachineInstance | undefined, VirtualMachineInstanceMigration[], string | RegExp | undefined][] = [
    ['a running, live-migratable VMI with no other migration', migration('m-new'), running(), [], undefined],
    ['a VMI without a LiveMigratable condition (only False refuses)', migration('m-new'), withoutCondition(running(), 'LiveMigratable'), [], undefined],
    ['earlier migrations that all ended', migration('m-new'), running(), [migration('m-1', {}, {}, 'Succeeded'), migration('m-2', {}, {}, 'Failed')], undefined],
    ['the same migration seen again (its own name)', migration('m-new'), running(), [migration('m-new', {}, {}, 'Pending')], undefined],

    ['no spec.vmiName', migration('m-new', {}, { vmiName: '' }), running(), [], 'spec.vmiName is missing'],
    ['a priority set by the user', migration('m-new', {}, { priority: 'user-triggered' }), running(), [], 'spec.priority can only be set by virt-controller'],
    ['a VMI that does not exist', migration('m-new'), undefined, [], 'the VMI "lab/vm-1" does not exist'],
    ['a VMI that succeeded', migration('m-new'), running({ phase: 'Succeeded' }), [], 'Cannot migrate VMI "lab/vm-1" in finalized state Succeeded'],
    ['a VMI that failed', migration('m-new'), running({ phase: 'Failed' }), [], 'Cannot migrate VMI "lab/vm-1" in finalized state Failed'],
    ['a VMI still scheduling', migration('m-new'), running({ phase: 'Scheduling' }), [], 'Cannot migrate VMI "lab/vm-1": it is not running (phase "Scheduling")'],
    ['a VMI with no phase yet', migration('m-new'), { ...running(), status: {} }, [], 'Cannot migrate VMI "lab/vm-1": it is not running (phase "")'],
    [
      'a VMI that is not live-migratable, with the condition reason and message',
      migration('m-new'),
      running({ liveMigratable: 'DisksNotLiveMigratable' }),
      [],
      'Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: simulated: DisksNotLiveMigratable',
    ],
    [
      'a not-live-migratable condition without reason or message',
      migration('m-new'),
      {
        ...running(),
        status: { phase: 'Running', nodeName: 'home-1', conditions: [{ type: 'LiveMigratable', status: 'False' }] },
      },
      [],
      'Cannot migrate VMI, Reason: NotMigratable, Message: ',
    ],
    [
      'another migration of the VMI still open',
      migration('m-new'),
      running(),
      [migration('m-1', {}, {}, 'Succeeded'), migration('m-2', {}, {}, 'Running')],
      'in-flight migration detected. Active migration job (m-2) is currently already in progress for VMI vm-1.',
    ],
    ['another migration with no phase yet (not final)', migration('m-new'), running(), [migration('m-2')], /Active migration job \(m-2\)/],
  ];
  for (const [what, m, vmi, others, refusal] of rows) {
    it(`${what}: ${refusal === undefined ? 'admitted' : 'refused'}`, () => {
      const got = refuseMigration(m, vmi, others);
      if (refusal === undefined) expect(got).to.equal(undefined);
      else if (typeof refusal === 'string') expect(got).to.equal(refusal);
      else expect(got).to.match(refusal);
    });
  }

  it('checks the cheapest cause first: a missing vmiName wins over a missing VMI', () => {
    expect(refuseMigration(migration('m-new', {}, { vmiName: '', priority: 'x' }), undefined, [migration('m-2', {}, {}, 'Running')])).to.equal('spec.vmiName is missing');
  });
});

describe('mutateMigration (virt-api mutating webhook)', () => {
  const vmiLabelPath = '/metadata/labels/kubevirt.io~1vmi-name';
  const finalizer = KubevirtLabels.migrationJobFinalizer;

  // [what, metadata, patch]
  const rows: [string, Partial<VirtualMachineInstanceMigration['metadata']>, object[]][] = [
    [
      'no labels and no finalizers: both added whole',
      {},
      [
        { op: 'add', path: '/metadata/labels', value: { [KubevirtLabels.vmiName]: 'vm-1' } },
        { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
      ],
    ],
    [
      'labels present: the vmi-name label added with the "/" escaped as ~1',
      { labels: { 'app.kubernetes.io/managed-by': 'offline-first' } },
      [
        { op: 'add', path: vmiLabelPath, value: 'vm-1' },
        { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
      ],
    ],
    ['empty labels: the label added by key', { labels: {} }, [{ op: 'add', path: vmiLabelPath, value: 'vm-1' }, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }]],
    [
      'other finalizers present: the finalizer appended',
      { labels: {}, finalizers: ['example.com/keep'] },
      [
        { op: 'add', path: vmiLabelPath, value: 'vm-1' },
        { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
      ],
    ],
    ['empty finalizers: the finalizer appended', { finalizers: [] }, [{ op: 'add', path: '/metadata/labels', value: { [KubevirtLabels.vmiName]: 'vm-1' } }, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]],
    ['the finalizer already present: not added twice', { labels: {}, finalizers: ['example.com/keep', finalizer] }, [{ op: 'add', path: vmiLabelPath, value: 'vm-1' }]],
  ];
  for (const [what, metadata, patch] of rows) {
    it(what, () => expect(mutateMigration(migration('m-new', metadata))).to.deep.equal(patch));
  }

  it('always sets the vmi-name label to spec.vmiName, replacing a wrong one', () => {
    expect(mutateMigration(migration('m-new', { labels: { [KubevirtLabels.vmiName]: 'other' }, finalizers: [finalizer] }, { vmiName: 'vm-7' }))).to.deep.equal([
      { op: 'add', path: vmiLabelPath, value: 'vm-7' },
    ]);
  });

  it('leaves the migration itself unchanged', () => {
    const m = migration('m-new', { labels: { a: 'b' }, finalizers: ['x'] });
    const before = JSON.stringify(m);
    mutateMigration(m);
    expect(JSON.stringify(m)).to.equal(before);
  });
});
