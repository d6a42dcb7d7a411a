/**
 * The gatherer turns the informer caches into the engine's plain input. These tests build the caches
 * from the simulator's fixtures (no API server) and assert the input the engine would see.
 */
import { LAB_CALIBRATION } from '../../../src/domain/migration/calibration.js';
import { expect } from 'chai';
import { describeInputProblem, FALLBACK_DIRTY_RATE_BYTES_PER_SECOND, gather, type Observed } from '../../../src/observation/gather.js';
import type { NodeView, VmView } from '../../../src/domain/placement/index.js';
import { Annotations, LEAVING_TAINT } from '../../../src/observation/annotations.js';
import type { NodeLink } from '../../../src/kube/node-link.js';
import type { KubeVirt, MigrationPolicy, MigrationState, VirtualMachineInstance, VirtualMachineInstanceMigration, Volume } from '../../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement, OfflineFirstPlacementSpec } from '../../../src/kube/placement.js';
import { placement } from './fixtures.js';
import { PlacementLabels } from '../../../src/kube/placement.js';
import { cloudServer, clientWorkstation } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture, type VmiFixture } from '../../../src/sim/fixtures/vmis.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const LAUNCHER_OVERHEAD = 300 * MiB;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const MEASURED = '2026-01-12T08:58:00Z';
const ROOM = 'lab/room-b12';

const room = (spec: Partial<OfflineFirstPlacementSpec> = {}) => placement('room-b12', '2026-01-10T08:00:00Z', spec);

function vmi(name: string, f: Partial<VmiFixture> = {}): VirtualMachineInstance {
  return vmiFromFixture({ name, namespace: 'lab', node: 'home-1', ...f, labels: { app: 'lab', ...f.labels } });
}

function migration(
  name: string,
  vmiName: string,
  opts: { phase?: NonNullable<VirtualMachineInstanceMigration['status']>['phase']; ours?: 'ToClient' | 'Home'; target?: string; state?: MigrationState; deleting?: boolean; namespace?: string } = {},
): VirtualMachineInstanceMigration {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name,
      namespace: opts.namespace ?? 'lab',
      ...(opts.ours ? { labels: { [PlacementLabels.placement]: 'room-b12', [PlacementLabels.direction]: opts.ours, [PlacementLabels.managedBy]: 'offline-first' } } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2026-01-12T08:59:00Z' } : {}),
    },
    spec: { vmiName, ...(opts.target ? { addedNodeSelector: { 'kubernetes.io/hostname': opts.target } } : {}) },
    ...(opts.phase || opts.state ? { status: { ...(opts.phase ? { phase: opts.phase } : {}), ...(opts.state ? { migrationState: opts.state } : {}) } } : {}),
  };
}

function ended(m: VirtualMachineInstanceMigration, atMs: number): VirtualMachineInstanceMigration {
  return { ...m, status: { ...m.status, migrationState: { ...m.status?.migrationState, endTimestamp: new Date(atMs).toISOString() } } };
}

function created<T extends { metadata: { creationTimestamp?: string } }>(o: T, at: string): T {
  return { ...o, metadata: { ...o.metadata, creationTimestamp: at } };
}

function observed(o: Partial<Observed> = {}): Observed {
  return {
    placements: [room()],
    vmis: [vmi('vm-1')],
    migrations: [],
    nodes: [cloudServer('home-1'), clientWorkstation('pc-1')],
    nowMs: NOW,
    ...o,
  };
}

const nodeView = (o: Partial<Observed>, name: string): NodeView => {
  const n = gather(observed(o)).input.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};
const vmView = (o: Partial<Observed>, key = 'lab/vm-1'): VmView => {
  const v = gather(observed(o)).input.vms.find((x) => x.key === key);
  if (!v) throw new Error(`no VM ${key}`);
  return v;
};

describe('gather', () => {
  describe('placements and VM ownership', () => {
    const older = placement('older', '2026-01-01T00:00:00Z');
    const newer = placement('newer', '2026-01-05T00:00:00Z');
    for (const [order, placements] of [['older first', [older, newer]], ['newer first', [newer, older]]] as const) {
      it(`gives a VM selected by two placements to the older one, and the newer reports VMClaimedByOtherPlacement (${order} in the cache)`, () => {
        const g = gather(observed({ placements }));
        expect(g.input.vms.map((v) => [v.key, v.placementKey])).to.deep.equal([['lab/vm-1', 'lab/older']]);
        expect(g.problems).to.deep.equal([
          { placementKey: 'lab/newer', reason: 'VMClaimedByOtherPlacement', message: 'VMI lab/vm-1 is also selected by the older placement lab/older' },
        ]);
        expect(g.input.placements.map((p) => p.key)).to.deep.equal(['lab/older', 'lab/newer']);
      });
    }

    it('breaks a tie in creation time by key', () => {
      const g = gather(observed({ placements: [placement('b', '2026-01-01T00:00:00Z'), placement('a', '2026-01-01T00:00:00Z')] }));
      expect(g.input.vms[0]!.placementKey).to.equal('lab/a');
      expect(g.problems.map((p) => p.placementKey)).to.deep.equal(['lab/b']);
    });

    it('lets a placement select only VMs in its own namespace', () => {
      const g = gather(observed({ placements: [room(), placement('room-b12', '2026-01-01T00:00:00Z', {}, 'exams')] }));
      expect(g.input.vms.map((v) => v.placementKey)).to.deep.equal([ROOM]);
      expect(g.problems).to.deep.equal([]);
    });

    it('leaves out VMs no placement selects', () => {
      const g = gather(observed({ vmis: [vmi('vm-1'), vmi('other', { labels: { app: 'web' } })] }));
      expect(g.input.vms.map((v) => v.key)).to.deep.equal(['lab/vm-1']);
    });

    it('reports an invalid placement as InvalidSpec, naming the field, and gives it no VMs and no nodes', () => {
      const bad = placement('broken', '2026-01-01T00:00:00Z', { thresholds: { minBandwidth: '20Mbps' } });
      const g = gather(observed({ placements: [bad, room()] }));
      expect(g.problems).to.have.length(1);
      expect(g.problems[0]).to.include({ placementKey: 'lab/broken', reason: 'InvalidSpec' });
      expect(g.problems[0]!.message).to.match(/^spec\.thresholds\.minBandwidth: /);
      expect([...g.placements.keys()]).to.deep.equal([ROOM]);
      expect(g.input.placements.map((p) => p.key)).to.deep.equal([ROOM]);
      expect(g.input.vms.map((v) => v.placementKey)).to.deep.equal([ROOM]);
      for (const n of g.input.nodes) expect([...n.clientFor, ...n.homeFor]).not.to.include('lab/broken');
    });

    it('ignores a placement being deleted', () => {
      const deleting = placement('going', '2026-01-01T00:00:00Z');
      deleting.metadata.deletionTimestamp = '2026-01-12T08:00:00Z';
      const g = gather(observed({ placements: [deleting, room()] }));
      expect([...g.placements.keys()]).to.deep.equal([ROOM]);
      expect(g.problems).to.deep.equal([]);
      expect(g.input.vms[0]!.placementKey).to.equal(ROOM);
    });

    it('keeps the placement object next to its policy', () => {
      const p = room();
      const entry = gather(observed({ placements: [p] })).placements.get(ROOM);
      expect(entry?.object).to.equal(p);
      expect(entry?.policy).to.include({ key: ROOM, mode: 'Enforce' });
    });

    it('passes the time through and defaults the cluster limits to KubeVirt\'s', () => {
      expect(gather(observed()).input).to.deep.include({ nowMs: NOW, clusterLimits: { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 } });
      const limits = { parallelMigrationsPerCluster: 9, parallelOutboundMigrationsPerNode: 1 };
      expect(gather(observed({ clusterLimits: limits })).input.clusterLimits).to.deep.equal(limits);
    });
  });

  describe('nodes', () => {
    it('gives each node its roles from the placements\' node selectors, oldest placement first', () => {
      const exams = placement('exams', '2026-01-11T00:00:00Z', { clientNodeSelector: { matchExpressions: [{ key: 'room', operator: 'In', values: ['b13'] }] } });
      const g = gather(
        observed({
          placements: [exams, room()],
          nodes: [cloudServer('home-1'), clientWorkstation('pc-1', { labels: { room: 'b12' } }), clientWorkstation('pc-2', { labels: { room: 'b13' } }), cloudServer('printer', { labels: { 'offline-first.io/pool': 'office' } })],
        }),
      );
      expect(Object.fromEntries(g.input.nodes.map((n) => [n.name, { clientFor: n.clientFor, homeFor: n.homeFor }]))).to.deep.equal({
        'home-1': { clientFor: [], homeFor: [ROOM, 'lab/exams'] },
        'pc-1': { clientFor: [ROOM], homeFor: [] },
        'pc-2': { clientFor: [ROOM, 'lab/exams'], homeFor: [] },
        printer: { clientFor: [], homeFor: [] },
      });
    });

    it('sums the requests of the VMIs on each node, the launcher overhead included, whoever owns them', () => {
      const onPc1 = [
        vmi('vm-1', { node: 'pc-1', memory: '2Gi' }),
        vmi('vm-2', { node: 'pc-1', memory: '1Gi', labels: { app: 'web' } }),
        vmiFromFixture({ name: 'elsewhere', namespace: 'exams', node: 'pc-1', memory: '512Mi' }),
      ];
      onPc1[1]!.spec.domain.resources!.requests!.cpu = '500m';
      const g = gather(observed({ vmis: onPc1 }));
      const requested = Object.fromEntries(g.input.nodes.map((n) => [n.name, n.requested]));
      expect(requested).to.deep.equal({
        'home-1': { cpuMillis: 0, memoryBytes: 0 },
        'pc-1': { cpuMillis: 2500, memoryBytes: 3.5 * GiB + 3 * LAUNCHER_OVERHEAD },
      });
    });

    it('does not count VMIs that ended or have no node yet', () => {
      const pending = vmi('pending');
      pending.status = { ...pending.status, phase: 'Scheduling', nodeName: undefined };
      const vmis = [vmi('vm-1', { node: 'pc-1' }), vmi('done', { node: 'pc-1', phase: 'Succeeded' }), vmi('crashed', { node: 'pc-1', phase: 'Failed' }), pending];
      expect(nodeView({ vmis }, 'pc-1').requested).to.deep.equal({ cpuMillis: 1000, memoryBytes: 2 * GiB + LAUNCHER_OVERHEAD });
      expect(nodeView({ vmis }, 'home-1').requested).to.deep.equal({ cpuMillis: 0, memoryBytes: 0 });
    });

    it('counts cores when a VMI requests no CPU, and guest memory when it requests no memory', () => {
      const v = vmi('vm-1', { node: 'pc-1' });
      v.spec.domain.resources = {};
      v.spec.domain.cpu = { model: 'host-model', cores: 3 };
      v.spec.domain.memory = { guest: '4Gi' };
      expect(nodeView({ vmis: [v] }, 'pc-1').requested).to.deep.equal({ cpuMillis: 3000, memoryBytes: 4 * GiB + LAUNCHER_OVERHEAD });
    });

    it('reads allocatable CPU and memory', () => {
      expect(nodeView({}, 'home-1').allocatable).to.deep.equal({ cpuMillis: 32_000, memoryBytes: 256 * GiB });
      expect(nodeView({ nodes: [clientWorkstation('pc-1', { cpu: '3500m', memory: '15.5Gi' })] }, 'pc-1').allocatable).to.deep.equal({ cpuMillis: 3500, memoryBytes: 15.5 * GiB });
    });

    it('reports unreadable allocatable memory and counts the node as empty rather than failing', () => {
      const g = gather(observed({ nodes: [clientWorkstation('pc-1', { memory: '16 gigs' })] }));
      expect(g.input.nodes[0]!.allocatable).to.deep.equal({ cpuMillis: 0, memoryBytes: 0 });
      expect(g.inputErrors).to.have.length(1);
      expect(describeInputProblem(g.inputErrors[0]!)).to.match(/^Node pc-1: .*status\.allocatable\.memory: expected a size like 2Gi/);
    });

    it('reads readiness and cordoning', () => {
      const n = nodeView({ nodes: [clientWorkstation('pc-1', { ready: false, unschedulable: true })] }, 'pc-1');
      expect(n).to.include({ ready: false, unschedulable: true });
      expect(nodeView({}, 'pc-1')).to.include({ ready: true, unschedulable: false });
    });

    // [what, annotations, link]
    const links: [string, Record<string, string>, NodeView['link']][] = [
      [
        'bandwidth, RTT and time',
        { [Annotations.linkBandwidth]: '100Mbit/s', [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: MEASURED },
        { bandwidthBytesPerSecond: 12.5e6, rttMs: 12, measuredAtMs: Date.parse(MEASURED), source: 'annotation' },
      ],
      ['no RTT: 0, so the latency trigger cannot fire', { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: MEASURED }, { bandwidthBytesPerSecond: 4.625e6, rttMs: 0, measuredAtMs: Date.parse(MEASURED), source: 'annotation' }],
      ['no annotations: no link', {}, undefined],
    ];
    for (const [what, annotations, link] of links) {
      it(`reads the link from the node's annotations: ${what}`, () => {
        const g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations })] }));
        expect(g.input.nodes[0]!.link).to.deep.equal(link);
        expect(g.inputErrors).to.deep.equal([]);
      });
    }

    describe("the link agent's NodeLink", () => {
      const AGENT_AT = '2026-01-12T08:59:00Z';
      const record = (name: string, status: NodeLink['status']): NodeLink => ({ apiVersion: 'placement.offline-first.io/v1alpha1', kind: 'NodeLink', metadata: { name }, status });
      const measuredByAgent = record('pc-1', { bandwidthBytesPerSecond: 25e6, rttMs: 8, measuredAt: AGENT_AT, probes: 4 });
      const annotated = { [Annotations.linkBandwidth]: '100Mbit/s', [Annotations.linkMeasuredAt]: MEASURED };
      // [what, node annotations, records, link, input errors]
      const cases: [string, Record<string, string>, NodeLink[], NodeView['link'], RegExp[]][] = [
        ['a record and no annotation: the record', {}, [measuredByAgent], { bandwidthBytesPerSecond: 25e6, rttMs: 8, measuredAtMs: Date.parse(AGENT_AT), source: 'agent' }, []],
        ['the annotations override the record', annotated, [measuredByAgent], { bandwidthBytesPerSecond: 12.5e6, rttMs: 0, measuredAtMs: Date.parse(MEASURED), source: 'annotation' }, []],
        ['an unreadable annotation: reported, and the record used', { [Annotations.linkBandwidth]: '0bit/s', [Annotations.linkMeasuredAt]: MEASURED }, [measuredByAgent], { bandwidthBytesPerSecond: 25e6, rttMs: 8, measuredAtMs: Date.parse(AGENT_AT), source: 'agent' }, [/^Node pc-1: link\.offline-first\.io\/bandwidth/]],
        ['a record of another node: not used', {}, [record('pc-2', { bandwidthBytesPerSecond: 25e6, measuredAt: AGENT_AT })], undefined, []],
        ['a record without an estimate yet: no link, no error', {}, [record('pc-1', { probes: 0 })], undefined, []],
        ['an unreadable record: reported, naming the record and field', {}, [record('pc-1', { bandwidthBytesPerSecond: -1, measuredAt: AGENT_AT })], undefined, [/^NodeLink pc-1: NodeLink pc-1 status\.bandwidthBytesPerSecond: expected a number above 0/]],
      ];
      for (const [what, annotations, nodeLinks, link, errors] of cases) {
        it(`reads ${what}`, () => {
          const g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations })], nodeLinks }));
          expect(g.input.nodes[0]!.link).to.deep.equal(link);
          expect(g.inputErrors.map(describeInputProblem)).to.have.length(errors.length);
          errors.forEach((e, i) => expect(describeInputProblem(g.inputErrors[i]!)).to.match(e));
        });
      }
    });

    // [what, annotations, error]
    const badNodes: [string, Record<string, string>, RegExp][] = [
      ['an unreadable bandwidth', { [Annotations.linkBandwidth]: '100Mbps', [Annotations.linkMeasuredAt]: MEASURED }, /^Node pc-1: link\.offline-first\.io\/bandwidth: expected a rate/],
      ['a bandwidth without its time', { [Annotations.linkBandwidth]: '100Mbit/s' }, /^Node pc-1: link\.offline-first\.io\/measured-at: missing/],
      ['an unreadable leaving flag', { [Annotations.leaving]: 'soon' }, /^Node pc-1: offline-first\.io\/leaving: expected "true" or "false"/],
    ];
    for (const [what, annotations, error] of badNodes) {
      it(`lists ${what} in inputErrors, without a link or departure, and does not throw`, () => {
        let g: ReturnType<typeof gather> | undefined;
        expect(() => (g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations })] })))).not.to.throw();
        expect(g!.inputErrors).to.have.length(1);
        expect(describeInputProblem(g!.inputErrors[0]!)).to.match(error);
        expect(g!.input.nodes[0]).not.to.have.property('link');
        expect(g!.input.nodes[0]).not.to.have.property('leaving');
      });
    }

    it('reads an unreadable departure time (17:30, no date) as leaving now and reports it', () => {
      const g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations: { [Annotations.departureTime]: '17:30' } })] }));
      expect(g.input.nodes[0]!.leaving).to.deep.equal({});
      expect(describeInputProblem(g.inputErrors[0]!)).to.match(/^Node pc-1: offline-first\.io\/departure-time: expected an RFC 3339 time.*treated as leaving now/);
    });

    it('refuses a link bandwidth of 0 bit/s as unreadable, naming the annotation', () => {
      const annotations = { [Annotations.linkBandwidth]: '0bit/s', [Annotations.linkMeasuredAt]: MEASURED };
      const g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations })] }));
      expect(g.input.nodes[0]).not.to.have.property('link');
      expect(describeInputProblem(g.inputErrors[0]!)).to.match(/^Node pc-1: link\.offline-first\.io\/bandwidth: expected a bandwidth above 0/);
    });

    it('brings a leaving client home on its last good link when its link annotation turns unreadable', () => {
      const lastGoodLinks = new Map();
      const good = { [Annotations.linkBandwidth]: '37Mbit/s', [Annotations.linkMeasuredAt]: MEASURED };
      gather({ ...observed({ nodes: [clientWorkstation('pc-1', { annotations: good })] }), lastGoodLinks });
      const bad = { [Annotations.linkBandwidth]: '0bit/s', [Annotations.linkMeasuredAt]: MEASURED, [Annotations.leaving]: 'true' };
      const g = gather({ ...observed({ nodes: [clientWorkstation('pc-1', { annotations: bad })] }), lastGoodLinks });
      expect(g.input.nodes[0]!.link).to.deep.include({ bandwidthBytesPerSecond: 37e6 / 8, measuredAtMs: Date.parse(MEASURED) });
      expect(g.input.nodes[0]!.leaving).to.deep.equal({});
    });

    it('reads a departure time as leaving at that time', () => {
      const n = nodeView({ nodes: [clientWorkstation('pc-1', { annotations: { [Annotations.departureTime]: '2026-01-12T11:00:00Z' } })] }, 'pc-1');
      expect(n.leaving).to.deep.equal({ departureAtMs: Date.UTC(2026, 0, 12, 11) });
    });

    it('reads the leaving taint as leaving now and leaves that taint out of the node\'s taints', () => {
      const n = nodeView(
        { nodes: [clientWorkstation('pc-1', { taints: [{ key: LEAVING_TAINT, effect: 'NoSchedule' }, { key: 'gpu', value: 'busy', effect: 'NoExecute' }] })] },
        'pc-1',
      );
      expect(n.leaving).to.deep.equal({});
      expect(n.taints).to.deep.equal([{ key: 'gpu', value: 'busy', effect: 'NoExecute' }]);
    });

    it('still reads the leaving taint when the leaving annotation is unreadable, and reports the annotation', () => {
      const g = gather(observed({ nodes: [clientWorkstation('pc-1', { annotations: { [Annotations.leaving]: 'yes' }, taints: [{ key: LEAVING_TAINT, effect: 'NoSchedule' }] })] }));
      expect(g.input.nodes[0]!.leaving).to.deep.equal({});
      expect(g.inputErrors).to.have.length(1);
      expect(describeInputProblem(g.inputErrors[0]!)).to.match(/^Node pc-1: offline-first\.io\/leaving: /);
    });

    it('gives a node that is not leaving no leaving field', () => {
      expect(nodeView({}, 'pc-1')).not.to.have.property('leaving');
    });
  });

  describe('VMs', () => {
    it('describes a fixture VM in full', () => {
      expect(vmView({})).to.deep.equal({
        key: 'lab/vm-1',
        placementKey: ROOM,
        nodeName: 'home-1',
        phase: 'Running',
        liveMigratable: true,
        migrating: false,
        memoryBytes: 2 * GiB,
        requests: { cpuMillis: 1000, memoryBytes: 2 * GiB + LAUNCHER_OVERHEAD },
        cpu: { model: 'host-model', requiredFeatures: [] },
        volumeKinds: ['containerDisk', 'cloudInitNoCloud'],
        blockMigrationDiskBytes: 0,
        budgetDiskBytes: 0,
        dirtyRate: { input: { kind: 'constant', bytesPerSecond: FALLBACK_DIRTY_RATE_BYTES_PER_SECOND }, confidence: 'fallback', source: 'fallback' },
        moves: { count: 0 },
      });
    });

    it('uses a measured dirty rate and the guest usage from the annotations, naming the source, the usage raw', () => {
      const v = vmView({ vmis: [vmi('vm-1', { annotations: { [Annotations.dirtyRateWindows]: '1s=3MB/s,5s=2MB/s', [Annotations.guestUsed]: '800Mi' } })] });
      expect(v.dirtyRate).to.deep.equal({ input: { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 3e6 }, { seconds: 5, bytesPerSecond: 2e6 }] }, confidence: 'measured', source: 'windows-annotation' });
      // Raw: migrationInput adds the memmap and the lab-calibrated constant when it builds the model input.
      expect(v.guestUsedBytes).to.equal(800 * MiB);
    });

    it('reads page-sampling readings as the most likely write rate into the used memory, ahead of windows and rates', () => {
      const readings = ['1s=2', '1s=0', '1s=2', '1s=4', '1s=0', '1s=2', '1s/16384=2', '1s/16384=1', '1s/16384=2', '1s/16384=1', '5s/16384=1', '5s/16384=2'].join(',');
      const annotations = { [Annotations.dirtyRateReadings]: readings, [Annotations.dirtyRateWindows]: '1s=30MB/s,5s=20MB/s', [Annotations.guestUsed]: '512Mi' };
      const v = vmView({ vmis: [vmi('vm-1', { annotations })] });
      expect(v.dirtyRate.confidence).to.equal('measured');
      const input = v.dirtyRate.input;
      if (input.kind !== 'curve') expect.fail(`expected a curve, got ${input.kind}`);
      expect(input.curve.hotSetBytes).to.equal(512 * MiB);
      expect(input.curve.hotWriteBytesPerSecond / (MiB * LAB_CALIBRATION.dirtyRateScale)).to.be.within(1.5, 2.5);
      // Without the used memory, the hot set is all of it: the worst case.
      const blind = vmView({ vmis: [vmi('vm-1', { annotations: { [Annotations.dirtyRateReadings]: readings } })] }).dirtyRate.input;
      expect(blind.kind === 'curve' && blind.curve.hotSetBytes).to.equal(2 * GiB);
    });

    it('all-zero readings: a measured guest that dirties nothing', () => {
      const v = vmView({ vmis: [vmi('vm-1', { annotations: { [Annotations.dirtyRateReadings]: '1s=0,1s=0,1s=0' } })] });
      expect(v.dirtyRate).to.deep.equal({ input: { kind: 'constant', bytesPerSecond: 0 }, confidence: 'measured', source: 'readings-annotation' });
    });

    it('unreadable readings are reported and the next source (the mean rate) is used instead', () => {
      const g = gather(observed({ vmis: [vmi('vm-1', { annotations: { [Annotations.dirtyRateReadings]: '1s=2MB/s', [Annotations.dirtyRate]: '3MB/s' } })] }));
      expect(g.inputErrors).to.have.length(1);
      expect(describeInputProblem(g.inputErrors[0]!)).to.match(/^VMI lab\/vm-1: offline-first\.io\/dirty-rate-readings: expected CALC-TIME/);
      expect(g.input.vms[0]!.dirtyRate).to.deep.equal({ input: { kind: 'constant', bytesPerSecond: 3e6 }, confidence: 'measured', source: 'rate-annotation' });
    });

    // [annotation, value, error]
    const badVmAnnotations: [string, string, RegExp][] = [
      [Annotations.dirtyRate, '2MB', /^VMI lab\/vm-1: offline-first\.io\/dirty-rate: expected a rate/],
      [Annotations.dirtyRateWindows, '1s', /^VMI lab\/vm-1: offline-first\.io\/dirty-rate-windows: expected WINDOW=RATE pairs/],
      [Annotations.dirtyRateReadings, '1s=x', /^VMI lab\/vm-1: offline-first\.io\/dirty-rate-readings: expected CALC-TIME/],
      [Annotations.guestUsed, 'most', /^VMI lab\/vm-1: offline-first\.io\/guest-used: expected a size/],
    ];
    for (const [key, value, error] of badVmAnnotations) {
      it(`lists an unreadable ${key} in inputErrors and plans the VM without it`, () => {
        const g = gather(observed({ vmis: [vmi('vm-1', { annotations: { [key]: value } })] }));
        expect(g.inputErrors).to.have.length(1);
        expect(describeInputProblem(g.inputErrors[0]!)).to.match(error);
        const v = g.input.vms[0]!;
        expect(v.dirtyRate.confidence).to.equal('fallback');
        expect(v).not.to.have.property('guestUsedBytes');
      });
    }

    it('reports a VMI whose memory cannot be read and leaves it out, without throwing', () => {
      const bad = vmi('vm-bad', { memory: '2 gigs' });
      let g: ReturnType<typeof gather> | undefined;
      expect(() => (g = gather(observed({ vmis: [bad, vmi('vm-1')] })))).not.to.throw();
      expect(g!.input.vms.map((v) => v.key)).to.deep.equal(['lab/vm-1']);
      expect(g!.inputErrors.length).to.be.greaterThan(0);
      for (const e of g!.inputErrors) expect(describeInputProblem(e)).to.match(/^VMI lab\/vm-bad: .*expected a size like 2Gi/);
    });

    it('carries the reason a VM is not live-migratable', () => {
      const v = vmView({ vmis: [vmi('vm-1', { liveMigratable: 'DisksNotLiveMigratable' })] });
      expect(v).to.include({ liveMigratable: false, liveMigratableReason: 'DisksNotLiveMigratable' });
    });

    it('keeps the CPU model and only the features the guest requires', () => {
      const v = vmi('vm-1', { cpuModel: 'Skylake-Client-IBRS' });
      v.spec.domain.cpu!.features = [{ name: 'vmx' }, { name: 'pcid', policy: 'require' }, { name: 'avx512f', policy: 'optional' }, { name: 'svm', policy: 'disable' }];
      expect(vmView({ vmis: [v] }).cpu).to.deep.equal({ model: 'Skylake-Client-IBRS', requiredFeatures: ['vmx', 'pcid'] });
    });

    // [what, volumes, kinds]
    const volumeRows: [string, Volume[], string[]][] = [
      ['container disk and cloud-init (offline-capable)', [{ name: 'root', containerDisk: {} }, { name: 'ci', cloudInitNoCloud: {} }], ['containerDisk', 'cloudInitNoCloud']],
      ['a PVC and a DataVolume (network storage)', [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }, { name: 'data', dataVolume: { name: 'data' } }], ['persistentVolumeClaim', 'dataVolume']],
      ['local disks and config', [{ name: 'scratch', emptyDisk: { capacity: '1Gi' } }, { name: 'h', hostDisk: { path: '/x', capacity: '2Gi' } }, { name: 'cm', configMap: {} }, { name: 's', secret: {} }], ['emptyDisk', 'hostDisk', 'configMap', 'secret']],
      ['a hostDisk on an export every node mounts (network storage)', [{ name: 'nfs', hostDisk: { path: '/mnt/nfs/a.img', type: 'Disk', shared: true } }], ['sharedHostDisk']],
      ['no volumes', [], []],
    ];
    for (const [what, volumes, kinds] of volumeRows) {
      it(`lists the volume kinds of ${what}`, () => {
        expect(vmView({ vmis: [vmi('vm-1', { volumes })] }).volumeKinds).to.deep.equal(kinds);
      });
    }

    it('counts local disk capacity only for a block migration', () => {
      const volumes: Volume[] = [{ name: 'root', containerDisk: {} }, { name: 'scratch', emptyDisk: { capacity: '1Gi' } }, { name: 'h', hostDisk: { path: '/x', capacity: '10Gi' } }];
      expect(vmView({ vmis: [vmi('vm-1', { volumes, blockMigration: true })] }).blockMigrationDiskBytes).to.equal(11 * GiB);
      expect(vmView({ vmis: [vmi('vm-1', { volumes })] }).blockMigrationDiskBytes).to.equal(0);
    });

    it('marks capacity-counted disk bytes as assumed, and keeps them out of KubeVirt\'s budget', () => {
      const volumes: Volume[] = [{ name: 'root', containerDisk: {} }, { name: 'scratch', emptyDisk: { capacity: '20Gi' } }];
      expect(vmView({ vmis: [vmi('vm-1', { volumes, blockMigration: true })] })).to.include({ blockMigrationDiskBytes: 20 * GiB, budgetDiskBytes: 0, localDiskBytesAssumed: true });
      const annotations = { [Annotations.localDiskUsed]: 'root=100Mi,scratch=200Mi' };
      const measured = vmView({ vmis: [vmi('vm-1', { volumes, blockMigration: true, annotations })] });
      expect(measured).to.include({ blockMigrationDiskBytes: 300 * MiB, budgetDiskBytes: 100 * MiB });
      expect(measured.localDiskBytesAssumed).to.equal(undefined);
    });

    it('reports a bad local-disk-used annotation and counts the capacity instead', () => {
      const volumes: Volume[] = [{ name: 'scratch', emptyDisk: { capacity: '20Gi' } }];
      const g = gather(observed({ vmis: [vmi('vm-1', { volumes, blockMigration: true, annotations: { [Annotations.localDiskUsed]: 'scratch=lots' } })] }));
      expect(g.inputErrors).to.have.length(1);
      expect(JSON.stringify(g.inputErrors[0])).to.match(/vm-1.*offline-first\.io\/local-disk-used \(volume scratch\): expected a size/);
      expect(g.input.vms[0]).to.include({ blockMigrationDiskBytes: 20 * GiB, localDiskBytesAssumed: true });
    });

    // [what, binding, VMI labels, VMI annotations, bound client]
    const bindings: [string, OfflineFirstPlacementSpec['clientBinding'], Record<string, string>, Record<string, string> | undefined, string | undefined][] = [
      ['a label binding', { labelKey: 'lab.example/seat' }, { 'lab.example/seat': 'pc-7' }, undefined, 'pc-7'],
      ['an annotation binding', { annotationKey: 'lab.example/seat' }, {}, { 'lab.example/seat': 'pc-8' }, 'pc-8'],
      ['a label binding, the label missing', { labelKey: 'lab.example/seat' }, {}, { 'lab.example/seat': 'pc-8' }, undefined],
      ['an annotation binding, the annotation missing', { annotationKey: 'lab.example/seat' }, { 'lab.example/seat': 'pc-7' }, undefined, undefined],
      ['both keys: the label is used', { labelKey: 'seat', annotationKey: 'seat' }, { seat: 'pc-7' }, { seat: 'pc-8' }, 'pc-7'],
      ['no binding', undefined, { 'lab.example/seat': 'pc-7' }, undefined, undefined],
    ];
    for (const [what, clientBinding, labels, annotations, bound] of bindings) {
      it(`resolves the bound client from ${what}: ${bound ?? 'none'}`, () => {
        const v = vmView({
          placements: [room(clientBinding ? { clientBinding } : {})],
          vmis: [vmi('vm-1', { labels, ...(annotations ? { annotations } : {}) })],
        });
        if (bound === undefined) expect(v).not.to.have.property('boundClient');
        else expect(v.boundClient).to.equal(bound);
      });
    }
  });

  describe('migrations', () => {
    it('marks a VM with an open migration of ours as migrating and lists the migration in flight', () => {
      const g = gather(observed({ migrations: [migration('ofp-vm-1-a', 'vm-1', { phase: 'Scheduling', ours: 'ToClient', target: 'pc-1' })] }));
      expect(g.input.vms[0]!.migrating).to.equal(true);
      expect(g.input.inFlight).to.deep.equal([{ vmKey: 'lab/vm-1', placementKey: ROOM, sourceNode: 'home-1', targetNode: 'pc-1', direction: 'ToClient', targetCounted: false }]);
    });

    it('takes source and target from the migration state once KubeVirt reports them', () => {
      const state: MigrationState = { sourceNode: 'pc-1', targetNode: 'home-2', migrationUid: 'm-uid' };
      const g = gather(observed({ vmis: [vmi('vm-1', { node: 'pc-1' })], migrations: [migration('ofp-vm-1-b', 'vm-1', { phase: 'Running', ours: 'Home', target: 'home-1', state })] }));
      expect(g.input.inFlight).to.deep.equal([{ vmKey: 'lab/vm-1', placementKey: ROOM, sourceNode: 'pc-1', targetNode: 'home-2', direction: 'Home', targetCounted: false }]);
    });

    it('lists a migration that is not ours as direction Other, with no placement or target', () => {
      const g = gather(observed({ migrations: [migration('evacuation-x', 'vm-1', { phase: 'Pending' })] }));
      expect(g.input.inFlight).to.deep.equal([{ vmKey: 'lab/vm-1', sourceNode: 'home-1', direction: 'Other', targetCounted: false }]);
      expect(g.input.vms[0]!.migrating).to.equal(true);
    });

    it('lists an open migration of a VMI it does not know, with an empty source', () => {
      const g = gather(observed({ migrations: [migration('m', 'ghost', { phase: 'Pending' })] }));
      expect(g.input.inFlight).to.deep.equal([{ vmKey: 'lab/ghost', sourceNode: '', direction: 'Other', targetCounted: false }]);
    });

    const closed: [string, VirtualMachineInstanceMigration, VirtualMachineInstance][] = [
      ['succeeded, the VMI seen on its target', migration('m', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', target: 'pc-1' }), vmi('vm-1', { node: 'pc-1' })],
      ['failed', migration('m', 'vm-1', { phase: 'Failed', ours: 'ToClient', target: 'pc-1' }), vmi('vm-1')],
      ['of a same-named VMI in another namespace', migration('m', 'vm-1', { phase: 'Running', namespace: 'exams' }), vmi('vm-1')],
      ['succeeded more than 2 minutes ago, the VMI never seen on its target', ended(migration('m', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', target: 'pc-1' }), NOW - 3 * 60_000), vmi('vm-1')],
      ['succeeded, followed by a newer migration that failed', migration('m-1', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', target: 'pc-1' }), vmi('vm-1')],
      ['succeeded, of an earlier instance of the VM (the VMI is newer)', created(migration('m', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', target: 'pc-1' }), '2026-01-12T08:00:00Z'), created(vmi('vm-1'), '2026-01-12T08:30:00Z')],
    ];
    for (const [what, m, v] of closed) {
      it(`does not count a migration ${what} as open for the VM`, () => {
        const later = what.includes('newer migration') ? [migration('m-2', 'vm-1', { phase: 'Failed', ours: 'Home', target: 'home-1' })] : [];
        const g = gather(observed({ vmis: [v], migrations: [m, ...later] }));
        expect(g.input.vms[0]!.migrating).to.equal(false);
        expect(g.input.inFlight.filter((f) => f.vmKey === 'lab/vm-1')).to.deep.equal([]);
      });
    }

    it('holds a migration that succeeded while the VMI is still seen on its source: the target stays reserved, the VM is not planned again', () => {
      // The two watches are separate streams: the migration's Succeeded can arrive before the VMI's new node.
      const g = gather(observed({ migrations: [ended(migration('m', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', target: 'pc-1' }), NOW - 1_000)] }));
      expect(g.input.vms[0]!.migrating).to.equal(true);
      expect(g.input.inFlight).to.deep.equal([{ vmKey: 'lab/vm-1', placementKey: ROOM, sourceNode: 'home-1', targetNode: 'pc-1', direction: 'ToClient', targetCounted: false }]);
    });

    it('counts a migration being deleted (KubeVirt is aborting it) as open until it ends: it still holds its slots', () => {
      const g = gather(observed({ migrations: [migration('m', 'vm-1', { phase: 'Running', ours: 'ToClient', target: 'pc-1', deleting: true })] }));
      expect(g.input.vms[0]!.migrating).to.equal(true);
      expect(g.input.inFlight.filter((f) => f.vmKey === 'lab/vm-1')).to.have.length(1);
    });

    // [what, the VMI's migration state, migrating]
    const states: [string, MigrationState, boolean][] = [
      ['a migration under way on the VMI with no migration object seen yet', { migrationUid: 'u-1', sourceNode: 'home-1', targetNode: 'pc-1' }, true],
      ['a completed migration', { migrationUid: 'u-1', completed: true }, false],
      ['a failed migration', { migrationUid: 'u-1', failed: true }, false],
      ['a migration state without a uid', { sourceNode: 'home-1' }, false],
    ];
    for (const [what, state, migrating] of states) {
      it(`reads migrating ${migrating} from ${what}`, () => {
        const v = vmi('vm-1');
        v.status = { ...v.status, migrationState: state };
        expect(vmView({ vmis: [v] }).migrating).to.equal(migrating);
      });
    }

    it('counts succeeded migrations of ours as moves, with the last end time', () => {
      const done = (name: string, end: string) => migration(name, 'vm-1', { phase: 'Succeeded', ours: 'ToClient', state: { endTimestamp: end, completed: true } });
      const migrations = [
        done('m-1', '2026-01-11T10:00:00Z'),
        done('m-3', '2026-01-12T08:30:00Z'),
        done('m-2', '2026-01-11T15:00:00Z'),
        migration('m-failed', 'vm-1', { phase: 'Failed', ours: 'ToClient', state: { endTimestamp: '2026-01-12T08:50:00Z' } }),
        migration('m-user', 'vm-1', { phase: 'Succeeded', state: { endTimestamp: '2026-01-12T08:55:00Z' } }),
        migration('m-other-ns', 'vm-1', { phase: 'Succeeded', ours: 'ToClient', namespace: 'exams', state: { endTimestamp: '2026-01-12T08:56:00Z' } }),
      ];
      expect(vmView({ migrations }).moves).to.deep.equal({ count: 3, lastMoveAtMs: Date.UTC(2026, 0, 12, 8, 30) });
    });

    it('takes the end of a move from the last phase transition when the state has no end time', () => {
      const m = migration('m-1', 'vm-1', { phase: 'Succeeded', ours: 'Home' });
      m.status!.phaseTransitionTimestamps = [
        { phase: 'Pending', phaseTransitionTimestamp: '2026-01-12T07:00:00Z' },
        { phase: 'Succeeded', phaseTransitionTimestamp: '2026-01-12T07:04:00Z' },
      ];
      expect(vmView({ migrations: [m] }).moves).to.deep.equal({ count: 1, lastMoveAtMs: Date.UTC(2026, 0, 12, 7, 4) });
    });
  });

  describe("KubeVirt's migration settings", () => {
    const kubevirt = (migrations: Record<string, unknown>): KubeVirt => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'KubeVirt',
      metadata: { name: 'kubevirt', namespace: 'kubevirt', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { configuration: { migrations } },
    });
    const policy = (name: string, spec: NonNullable<MigrationPolicy['spec']>): MigrationPolicy => ({ apiVersion: 'migrations.kubevirt.io/v1alpha1', kind: 'MigrationPolicy', metadata: { name }, spec });
    const namespaces = [{ metadata: { name: 'lab', labels: { 'kubernetes.io/metadata.name': 'lab', site: 'b12' } } }];

    it("leaves the VM without settings (the placement's stand in) and the limits as given when there is no KubeVirt resource and no matching policy", () => {
      const o = { clusterLimits: { parallelMigrationsPerCluster: 7, parallelOutboundMigrationsPerNode: 3 }, migrationPolicies: [policy('other', { selectors: { virtualMachineInstanceSelector: { app: 'other' } } })], namespaces };
      expect(vmView(o).migrationSettings).to.equal(undefined);
      expect(gather(observed(o)).input.clusterLimits).to.deep.equal({ parallelMigrationsPerCluster: 7, parallelOutboundMigrationsPerNode: 3 });
    });

    it("takes the KubeVirt resource's values and defaults, and its limits for the plan", () => {
      const o = { kubevirt: [kubevirt({ completionTimeoutPerGiB: 50, parallelMigrationsPerCluster: 1, bandwidthPerMigration: '64Mi' })] };
      expect(vmView(o).migrationSettings).to.deep.equal({
        parallelMigrationsPerCluster: 1,
        parallelOutboundMigrationsPerNode: 2,
        bandwidthPerMigrationBytesPerSecond: 64 * MiB,
        completionTimeoutPerGiB: 50,
        progressTimeoutSeconds: 150,
        allowAutoConverge: false,
        allowPostCopy: false,
      });
      expect(gather(observed(o)).input.clusterLimits).to.deep.equal({ parallelMigrationsPerCluster: 1, parallelOutboundMigrationsPerNode: 2 });
    });

    describe("a placement's managed policy", () => {
      const asking = room({ migration: { allowAutoConverge: true, bandwidthLimit: '8MB/s' } });
      const managed = 'offline-first.lab.room-b12';

      it('predicts with it as the operator keeps it, not as last seen in the cluster', () => {
        const stale = { ...policy(managed, { selectors: { virtualMachineInstanceSelector: { app: 'lab' } }, allowAutoConverge: false }), metadata: { name: managed, labels: { 'app.kubernetes.io/managed-by': 'offline-first', 'placement.offline-first.io/placement': 'room-b12', 'placement.offline-first.io/placement-namespace': 'lab' } } };
        const g = gather(observed({ placements: [asking], migrationPolicies: [stale], namespaces }));
        expect(g.input.vms[0]!.migrationSettings).to.include({ policy: managed, allowAutoConverge: true, bandwidthPerMigrationBytesPerSecond: 8_000_000 });
        expect(g.input.vms[0]!.settingsNotApplied).to.equal(undefined);
        expect(g.managedPolicies.get(ROOM)?.desired?.metadata.name).to.equal(managed);
      });

      it('reports the VMs another policy governs, naming it', () => {
        const gold = policy('gold', { selectors: { namespaceSelector: { site: 'b12' }, virtualMachineInstanceSelector: { app: 'lab' } } });
        const g = gather(observed({ placements: [asking], migrationPolicies: [gold], namespaces }));
        expect(g.input.vms[0]!.migrationSettings?.policy).to.equal('gold');
        expect(g.input.vms[0]!.settingsNotApplied).to.contain('MigrationPolicy gold');
        expect(g.settingsNotApplied.get(ROOM)).to.have.length(1);
      });

      it("resolves each link class's settings with the class label, and puts each client in its placement's first matching class", () => {
        const classed = room({ migration: { allowAutoConverge: true }, linkClasses: [{ name: 'wan', nodeSelector: { matchLabels: { link: 'wan' } }, bandwidthLimit: '16Mbit/s' }, { name: 'any', nodeSelector: { matchExpressions: [{ key: 'link', operator: 'Exists' }] } }] });
        // The VMI still carries the label of its last move: ignored for its own settings.
        const g = gather(observed({ placements: [classed], vmis: [vmi('vm-1', { labels: { 'placement.offline-first.io/link-class': 'wan' } })], nodes: [cloudServer('home-1'), clientWorkstation('pc-1', { labels: { link: 'wan' } }), clientWorkstation('pc-2', { labels: { link: 'lan' } }), clientWorkstation('pc-3')], namespaces }));
        const v = g.input.vms[0]!;
        expect(v.migrationSettings).to.include({ policy: managed, bandwidthPerMigrationBytesPerSecond: 0 });
        expect(v.classSettings?.wan).to.include({ policy: `${managed}.wan`, bandwidthPerMigrationBytesPerSecond: 2e6, allowAutoConverge: true });
        expect(v.settingsNotApplied).to.equal(undefined);
        expect(g.input.nodes.map((n) => n.linkClasses?.[ROOM])).to.deep.equal([undefined, 'wan', 'any', undefined]);
      });

      it('is refused when the cluster does not serve MigrationPolicies: KubeVirt\'s settings are predicted', () => {
        const g = gather(observed({ placements: [asking], migrationPoliciesServed: false, namespaces }));
        expect(g.input.vms[0]!.settingsNotApplied).to.contain('does not serve');
        expect(g.input.vms[0]!.migrationSettings).to.include({ allowAutoConverge: false, bandwidthPerMigrationBytesPerSecond: 0 });
      });
    });

    it('overrides them with the policy KubeVirt matches by VMI and namespace labels, and names it', () => {
      const o = {
        kubevirt: [kubevirt({ completionTimeoutPerGiB: 50 })],
        migrationPolicies: [
          policy('by-app', { selectors: { virtualMachineInstanceSelector: { app: 'lab' } }, completionTimeoutPerGiB: 300 }),
          policy('by-app-and-site', { selectors: { virtualMachineInstanceSelector: { app: 'lab' }, namespaceSelector: { site: 'b12' } }, allowPostCopy: true }),
        ],
        namespaces,
      };
      const s = vmView(o).migrationSettings;
      expect([s?.policy, s?.completionTimeoutPerGiB, s?.allowPostCopy]).to.deep.equal(['by-app-and-site', 50, true]);
    });

    it('reports unreadable values naming the field, and uses the defaults for them', () => {
      const o = {
        kubevirt: [kubevirt({ completionTimeoutPerGiB: 'soon', allowPostCopy: 'yes', bandwidthPerMigration: '64 parsecs' })],
        migrationPolicies: [policy('bad', { selectors: { virtualMachineInstanceSelector: { app: 'lab' } }, maxDowntimeMs: -3 })],
        namespaces,
      };
      const g = gather(observed(o));
      const lines = g.inputErrors.map(describeInputProblem);
      expect(lines.some((l) => l.startsWith('KubeVirt kubevirt/kubevirt: spec.configuration.migrations.completionTimeoutPerGiB'))).to.equal(true);
      expect(lines.some((l) => l.includes('spec.configuration.migrations.allowPostCopy'))).to.equal(true);
      expect(lines.some((l) => l.includes('spec.configuration.migrations.bandwidthPerMigration'))).to.equal(true);
      expect(lines.some((l) => l.startsWith('MigrationPolicy bad: spec.maxDowntimeMs'))).to.equal(true);
      const s = g.input.vms[0]!.migrationSettings;
      expect([s?.completionTimeoutPerGiB, s?.allowPostCopy, s?.policy, s?.maxDowntimeMs]).to.deep.equal([150, false, 'bad', undefined]);
    });
  });
});
