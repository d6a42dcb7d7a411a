/**
 * The operator keeps what it parsed of each cached object across plans (parsed-facts.ts). A plan
 * gathered with remembered facts must equal one gathered from scratch: after objects were replaced
 * (as an informer does on every change), with unreadable values reported every time, and with
 * measurements that come from outside the object never remembered.
 */
import { expect } from 'chai';
import type { VirtualMachineInstance } from '../../../src/kube/kubevirt.js';
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
});
