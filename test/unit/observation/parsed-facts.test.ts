/**
 * The operator keeps what it parsed of each cached object across plans (parsed-facts.ts). A plan
 * gathered with remembered facts must equal one gathered from scratch: after objects were replaced
 * (as an informer does on every change), with unreadable values reported every time, and with
 * measurements that come from outside the object never remembered.
 */
import { expect } from 'chai';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import type { Node } from '../../../src/kube/node.js';
import { Annotations } from '../../../src/observation/annotations.js';
import { gather, type Observed } from '../../../src/observation/gather.js';
import { ParsedFacts } from '../../../src/observation/parsed-facts.js';
import type { ExternalVmiSource, VmiSamples } from '../../../src/observation/sources.js';
import { VmMeasurementReader } from '../../../src/observation/vm-measurements.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';
import { placement } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const link = (bandwidth: string) => ({ [Annotations.linkBandwidth]: bandwidth, [Annotations.linkRtt]: '12ms', [Annotations.linkMeasuredAt]: '2026-01-12T08:58:00Z' });
const vmi = (name: string, memory: string, annotations: Record<string, string> = {}) =>
  vmiFromFixture({ name, namespace: 'lab', node: 'home-1', memory, labels: { app: 'lab' }, annotations: { [Annotations.dirtyRate]: '1MB/s', ...annotations } });

function world(vmis: VirtualMachineInstance[], nodes: Node[], extra: Partial<Observed> = {}): Observed {
  return { placements: [placement('room', '2026-01-10T08:00:00Z')], vmis, migrations: [], nodes, nowMs: NOW, ...extra };
}

describe('parsed facts kept across plans', () => {
  it('give the same input as parsing from scratch, before and after objects are replaced', () => {
    const facts = new ParsedFacts();
    const vmis = [vmi('vm-1', '2Gi'), vmi('vm-2', '4Gi'), vmi('bad', '2 gigs'), vmi('bad-rate', '1Gi', { [Annotations.dirtyRate]: 'fast' })];
    const nodes = [cloudServer('home-1'), clientWorkstation('pc-1', { annotations: link('80Mbit/s') }), clientWorkstation('pc-2', { annotations: link('slow') })];
    const first = gather(world(vmis, nodes, { facts }));
    expect(first).to.deep.equal(gather(world(vmis, nodes)));
    expect(first.inputErrors.length, 'unreadable memory, rate and link reported').to.be.at.least(3);
    expect(gather(world(vmis, nodes, { facts })), 'the second plan, from remembered facts: errors again too').to.deep.equal(first);

    // The informer replaces changed objects: the new ones are parsed, the rest remembered.
    vmis[0] = vmi('vm-1', '8Gi', { [Annotations.dirtyRate]: '3MB/s' });
    nodes[1] = clientWorkstation('pc-1', { annotations: link('300Mbit/s') });
    const after = gather(world(vmis, nodes, { facts }));
    expect(after).to.deep.equal(gather(world(vmis, nodes)));
    expect(after.input.vms.find((v) => v.key === 'lab/vm-1')?.memoryBytes).to.equal(8 * 2 ** 30);
    expect(after.input.nodes.find((n) => n.name === 'pc-1')?.link?.bandwidthBytesPerSecond).to.equal(300e6 / 8);
  });

  it('do not remember measurements read from outside the object', () => {
    let readings: VmiSamples = { dirtyRateReadings: [{ seconds: 1, mibPerSecond: 2 }], observedAtMs: NOW };
    const source: ExternalVmiSource = { name: 'prometheus', samples: () => readings, health: () => ({ ok: true, message: '' }) };
    const facts = new ParsedFacts();
    const measurements = new VmMeasurementReader(source);
    const vmis = [vmi('vm-1', '2Gi')];
    const nodes = [cloudServer('home-1')];
    const rate = () => gather(world(vmis, nodes, { facts, measurements })).input.vms[0]!.dirtyRate;
    const before = rate();
    readings = { dirtyRateReadings: [{ seconds: 1, mibPerSecond: 200 }], observedAtMs: NOW };
    expect(rate()).to.not.deep.equal(before);
  });

  describe('each VMI derived once per context (vm-view-memo.ts)', () => {
    const nodes = [cloudServer('home-1'), clientWorkstation('pc-1', { annotations: link('80Mbit/s') })];
    const views = (g: ReturnType<typeof gather>) => new Map(g.input.vms.map((v) => [v.key, v]));

    it('keeps the views of unchanged VMIs, derives changed ones, and equals a gather from scratch', () => {
      const facts = new ParsedFacts();
      const vmis = [vmi('vm-1', '2Gi'), vmi('vm-2', '4Gi'), vmi('bad-rate', '1Gi', { [Annotations.dirtyRate]: 'fast' })];
      const first = gather(world(vmis, nodes, { facts }));
      const second = gather(world(vmis, nodes, { facts }));
      expect(second).to.deep.equal(gather(world(vmis, nodes)));
      expect(views(second).get('lab/vm-1'), 'the same view object').to.equal(views(first).get('lab/vm-1'));
      expect(second.inputErrors.map((e) => e.name), 'problems reported on every plan').to.deep.equal(['bad-rate']);

      vmis[0] = vmi('vm-1', '8Gi');
      const third = gather(world(vmis, nodes, { facts }));
      expect(third).to.deep.equal(gather(world(vmis, nodes)));
      expect(views(third).get('lab/vm-1')?.memoryBytes).to.equal(8 * 2 ** 30);
      expect(views(third).get('lab/vm-2')).to.equal(views(first).get('lab/vm-2'));
    });

    it('derives every VMI again when a placement\'s spec changes (a new generation), not when only its status does', () => {
      const facts = new ParsedFacts();
      const vmis = [vmi('vm-1', '2Gi')];
      const p = placement('room', '2026-01-10T08:00:00Z');
      const first = gather({ ...world(vmis, nodes, { facts }), placements: [p] });
      const statusOnly = { ...p, status: { observedGeneration: 1, vmsSelected: 1 } } as typeof p;
      expect(views(gather({ ...world(vmis, nodes, { facts }), placements: [statusOnly] })).get('lab/vm-1')).to.equal(views(first).get('lab/vm-1'));
      const bound = { ...p, metadata: { ...p.metadata, generation: 2 }, spec: { ...p.spec, clientBinding: { labelKey: 'seat' } } };
      vmis[0] = vmi('vm-1', '2Gi');
      vmis[0].metadata.labels = { ...vmis[0].metadata.labels, seat: 'pc-1' };
      const rebound = gather({ ...world(vmis, nodes, { facts }), placements: [bound] });
      expect(views(rebound).get('lab/vm-1')?.boundClient).to.equal('pc-1');
      expect(rebound).to.deep.equal(gather({ ...world(vmis, nodes), placements: [bound] }));
      // The same VMI object, the spec changed back: derived anew again.
      const unbound = { ...p, metadata: { ...p.metadata, generation: 3 } };
      expect(views(gather({ ...world(vmis, nodes, { facts }), placements: [unbound] })).get('lab/vm-1')?.boundClient).to.equal(undefined);
    });

    it('derives a VMI again when its migrations change', () => {
      const facts = new ParsedFacts();
      const vmis = [vmi('vm-1', '2Gi')];
      const first = gather(world(vmis, nodes, { facts }));
      expect(views(first).get('lab/vm-1')?.migrating).to.equal(false);
      const migration: VirtualMachineInstanceMigration = {
        metadata: { name: 'm-1', namespace: 'lab', creationTimestamp: '2026-01-12T08:59:00Z' },
        spec: { vmiName: 'vm-1' },
        status: { phase: 'Running' },
      };
      const moving = gather(world(vmis, nodes, { facts, migrations: [migration] }));
      expect(views(moving).get('lab/vm-1')?.migrating).to.equal(true);
      expect(moving).to.deep.equal(gather(world(vmis, nodes, { migrations: [migration] })));
      const ended: VirtualMachineInstanceMigration = { ...migration, status: { phase: 'Failed' } };
      const after = gather(world(vmis, nodes, { facts, migrations: [ended] }));
      expect(views(after).get('lab/vm-1')?.migrating).to.equal(false);
      expect(after).to.deep.equal(gather(world(vmis, nodes, { migrations: [ended] })));
    });

    it('keeps what was derived of a VMI replaced by an equal one (a write that changed nothing read), when told', () => {
      const facts = new ParsedFacts();
      const vmis = [vmi('vm-1', '2Gi')];
      vmis[0]!.metadata.resourceVersion = '1';
      const first = views(gather(world(vmis, nodes, { facts }))).get('lab/vm-1');
      const rewritten = structuredClone(vmis[0]!);
      rewritten.metadata.resourceVersion = '2';
      facts.carryVmi(vmis[0]!, rewritten);
      const carried = gather(world([rewritten], nodes, { facts }));
      expect(views(carried).get('lab/vm-1')).to.equal(first);
      expect(carried).to.deep.equal(gather(world([rewritten], nodes)));
    });
  });
});
