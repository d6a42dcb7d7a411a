/**
 * Scenario files: a good one parses into plain numbers and resolved names; every bad one is refused
 * with an error that names the field (table-driven, one small change each).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../../src/controlplane/tools.js';
import { ScenarioError } from '../../../../src/sim/scenario/field-reader.js';
import { builtinScenario, scenarioFromYaml } from '../../../../src/sim/scenario/load.js';
import { BUILTIN_SCENARIOS } from '../../../../src/sim/scenario/builtin/index.js';
import { QuantityError } from '../../../../src/domain/units.js';
import { parseOptions, scenarioOf, tinyDoc, type Doc } from './support.js';

function refusal(change: (d: Doc) => void): string {
  const doc = tinyDoc();
  change(doc);
  try {
    scenarioOf(doc);
  } catch (err) {
    expect(err).to.satisfy((e: unknown) => e instanceof ScenarioError || e instanceof QuantityError, String(err));
    return (err as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('simulator: scenario files', () => {
  it('parses quantities once: bytes, bytes per second, milliseconds', () => {
    const s = scenarioOf(tinyDoc());
    expect(s).to.include({ name: 'tiny', startMs: Date.parse('2026-11-25T08:00:00Z'), horizonMs: 3_600_000, stepMs: 60_000, utcOffsetMinutes: 0 });
    expect(s.nodes[1]!.link).to.deep.equal({ bandwidthBytesPerSecond: 125e6, rttMs: 1, network: 'lan' });
    expect(s.vms[0]).to.include({ key: 'default/vm-1', memoryBytes: 2 * 1024 ** 3, guestUsedBytes: 500 * 1024 ** 2, client: 'ws-1', startNode: 'dc-1', dirtyRateKnown: true });
    expect(s.vms[0]!.dirtyRate).to.deep.equal({ kind: 'constant', bytesPerSecond: 1e6 });
    expect(s.placements[0]!.policy).to.include({ key: 'default/p', mode: 'Enforce' });
    expect(s.kubevirt).to.deep.equal({ parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 });
  });

  it('expands count entries, zero-padding {i:02}, starting at first', () => {
    const doc = tinyDoc();
    doc.nodes[1] = { ...doc.nodes[1], name: 'ws-{i:02}', count: 3, first: 9 };
    doc.vms[0] = { ...doc.vms[0], name: 'vm-{i}', count: 3, first: 9, client: 'ws-{i:02}' };
    const s = scenarioOf(doc);
    expect(s.nodes.map((n) => n.name)).to.deep.equal(['dc-1', 'ws-09', 'ws-10', 'ws-11']);
    expect(s.vms.map((v) => `${v.name}>${v.client}`)).to.deep.equal(['vm-9>ws-09', 'vm-10>ws-10', 'vm-11>ws-11']);
  });

  it('reads times of day on the start date in the start zone, and sessions with notice', () => {
    const doc = tinyDoc();
    doc.time.start = '2026-11-25T07:30:00+01:00';
    doc.nodes[1].online = [{ from: '08:00', until: '12:00', notice: '20m' }, { from: '13:00', until: '17:00', notice: 'none' }, { from: '18:00' }];
    const s = scenarioOf(doc);
    const at = (iso: string) => Date.parse(iso);
    expect(s.nodes[1]!.sessions).to.deep.equal([
      { fromMs: at('2026-11-25T08:00:00+01:00'), untilMs: at('2026-11-25T12:00:00+01:00'), noticeMs: 20 * 60_000 },
      { fromMs: at('2026-11-25T13:00:00+01:00'), untilMs: at('2026-11-25T17:00:00+01:00') },
      { fromMs: at('2026-11-25T18:00:00+01:00') },
    ]);
  });

  it('applies defaults.vm under each VM, labels merged', () => {
    const doc = tinyDoc();
    doc.defaults = { vm: { labels: { app: 'lab', course: 'x' }, memory: '4Gi' } };
    doc.vms[0] = { name: 'vm-1', labels: { extra: 'y' }, client: 'ws-1', dirtyRate: '1MB/s' };
    const vm = scenarioOf(doc).vms[0]!;
    expect(vm.labels).to.deep.equal({ app: 'lab', course: 'x', extra: 'y' });
    expect(vm.memoryBytes).to.equal(4 * 1024 ** 3);
  });

  it('reads YAML merge keys, so entries can share an anchor', () => {
    const yaml = `
name: anchors
time: {start: "2026-11-25T08:00:00Z", horizon: 1h}
nodes:
  - {name: dc-1, role: cloud, labels: {role: dc}}
  - &ws {name: ws-1, role: client, labels: {role: ws}, link: {bandwidth: 37Mbit/s, rtt: 30ms, network: wan}}
  - {<<: *ws, name: ws-2}
vms:
  - {name: vm-1, labels: {app: lab}, dirtyRateWindows: {1s: 2.5MB/s, 5s: 1.9MB/s}}
placements:
  - name: p
    spec: {vmSelector: {matchLabels: {app: lab}}, clientNodeSelector: {matchLabels: {role: ws}}, homeNodeSelector: {matchLabels: {role: dc}}, triggers: {cloudLatencyAbove: 20ms}}
`;
    const s = scenarioFromYaml(yaml, parseOptions());
    expect(s.nodes[2]).to.include({ name: 'ws-2', role: 'client' });
    expect(s.nodes[2]!.link).to.deep.equal({ bandwidthBytesPerSecond: 4.625e6, rttMs: 30, network: 'wan' });
    expect(s.vms[0]!.dirtyRate).to.deep.equal({ kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2.5e6 }, { seconds: 5, bytesPerSecond: 1.9e6 }] });
    expect(s.vms[0]!.dirtyRateText).to.deep.equal({ windows: '1s=2.5MB/s,5s=1.9MB/s' });
    expect(s.placements[0]!.policy.mode).to.equal('Recommend');
  });

  it('accepts the example of the README', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const example = /```yaml\n(name: my-lab\n[\s\S]*?)```/.exec(readme);
    expect(example, 'the README has a scenario example').not.to.equal(null);
    const s = scenarioFromYaml(example![1]!, parseOptions());
    expect(s.nodes).to.have.length(28);
    expect(s.vms.map((v) => v.name)).to.deep.equal(['student-01', 'student-02', 'student-03']);
    expect(s.vms[2]).to.include({ startNode: 'dc-2', dirtyRateKnown: false });
  });

  for (const name of Object.keys(BUILTIN_SCENARIOS)) {
    it(`accepts the built-in scenario ${name}`, () => {
      const s = builtinScenario(name, parseOptions());
      expect(s.vms.length).to.be.greaterThan(0);
      expect(s.nodes.some((n) => n.role === 'client')).to.equal(true);
    });
  }

  const bad: [string, (d: Doc) => void, string][] = [
    ['a rate without a unit', (d) => (d.nodes[1].link.bandwidth = 'fast'), 'nodes[1].link.bandwidth: expected a rate like 37Mbit/s or 2.5MB/s, got "fast"'],
    ['a rate as a bare number', (d) => (d.nodes[1].link.bandwidth = 37), 'nodes[1].link.bandwidth: expected a rate like 37Mbit/s or 2.5MB/s, got "37" (it needs a unit)'],
    ['an ambiguous rate unit', (d) => (d.nodes[1].link.bandwidth = '37Mbps'), 'nodes[1].link.bandwidth: expected a rate like 37Mbit/s or 2.5MB/s, got "37Mbps" (ambiguous'],
    ['a misspelt field', (d) => (d.nodes[1].link = { bandwith: '1Gbit/s', rtt: '1ms' }), 'nodes[1].link.bandwith: unknown field (did you mean bandwidth?)'],
    ['an unknown top-level field', (d) => (d.vm = []), 'vm: unknown field (did you mean vms?)'],
    ['a missing link bandwidth', (d) => delete d.nodes[1].link.bandwidth, 'nodes[1].link.bandwidth: expected a rate'],
    ['a start without a zone', (d) => (d.time.start = '2026-11-25T08:00:00'), 'time.start: expected an RFC 3339 time with a zone'],
    ['a horizon that is not a duration', (d) => (d.time.horizon = 'a day'), 'time.horizon: expected a duration like 300ms, 1.5s or 2m, got "a day"'],
    ['a step longer than the horizon', (d) => (d.time.step = '2h'), 'time.step: must not be longer than time.horizon'],
    ['no nodes', (d) => (d.nodes = []), 'nodes: expected at least one node'],
    ['no data-centre node', (d) => (d.nodes = [d.nodes[1]]), 'nodes: expected at least one node with role cloud'],
    ['an unknown role', (d) => (d.nodes[0].role = 'server'), 'nodes[0].role: expected one of cloud, client, got "server"'],
    ['a link on a cloud node', (d) => (d.nodes[0].link = { bandwidth: '1Gbit/s', rtt: '1ms' }), 'nodes[0].link: only client nodes have a link'],
    ['an unknown CPU vendor', (d) => (d.nodes[1].cpu = { vendor: 'ARM' }), 'nodes[1].cpu.vendor: expected one of Intel, AMD, got "ARM"'],
    ['a CPU capacity that is not a quantity', (d) => (d.nodes[1].capacity = { cpu: 'many' }), 'nodes[1].capacity.cpu: expected a CPU quantity like 8 or 8000m, got "many"'],
    ['a label value that is a number', (d) => (d.nodes[0].labels = { rack: 3 }), 'nodes[0].labels.rack: expected a string, got 3 (quote it)'],
    ['a session ending before it starts', (d) => (d.nodes[1].online = [{ from: '10:00', until: '09:00' }]), 'nodes[1].online[0].until: must be after from'],
    ['a time of day out of range', (d) => (d.nodes[1].online = [{ from: '25:00' }]), 'nodes[1].online[0].from: expected a time of day like 08:05'],
    ['overlapping sessions', (d) => (d.nodes[1].online = [{ from: '08:00', until: '10:00' }, { from: '09:00' }]), 'nodes[1].online[1].from: starts before the previous session ends'],
    ['a notice without an end', (d) => (d.nodes[1].online = [{ from: '08:00', notice: '10m' }]), 'nodes[1].online[0].notice: only makes sense with until'],
    ['duplicate node names', (d) => d.nodes.push({ ...d.nodes[1] }), 'nodes[2].name: duplicate node name ws-1 (also nodes[1])'],
    ['count without a placeholder', (d) => (d.nodes[1] = { ...d.nodes[1], count: 3 }), 'nodes[1].name: with count, the name needs {i}'],
    ['a memory size with a wrong suffix', (d) => (d.vms[0].memory = '2gb'), 'vms[0].memory: expected a size like 2Gi, 140Mi, 10G or a plain number of bytes, got "2gb"'],
    ['more memory used than the VM has', (d) => (d.vms[0].guestUsed = '3Gi'), "vms[0].guestUsed: is more than the VM's memory"],
    ['no dirty rate', (d) => delete d.vms[0].dirtyRate, 'vms[0]: give dirtyRate (e.g. 1.5MB/s) or dirtyRateWindows'],
    ['two dirty rates', (d) => (d.vms[0].dirtyRateWindows = { '1s': '2MB/s' }), 'vms[0].dirtyRateWindows: give either dirtyRate or dirtyRateWindows, not both'],
    ['a bad window rate', (d) => (delete d.vms[0].dirtyRate, (d.vms[0].dirtyRateWindows = { '1s': 'busy' })), 'vms[0].dirtyRateWindows.1s: expected a rate'],
    ['a bad window length', (d) => (delete d.vms[0].dirtyRate, (d.vms[0].dirtyRateWindows = { often: '1MB/s' })), 'vms[0].dirtyRateWindows.often: expected a duration'],
    ['a binding to an unknown node', (d) => (d.vms[0].client = 'ws-9'), 'vms[0].client: no node named ws-9'],
    ['a binding to a cloud node', (d) => (d.vms[0].client = 'dc-1'), 'vms[0].client: dc-1 is a cloud node, not a client'],
    ['a start node that does not exist', (d) => (d.vms[0].node = 'dc-7'), 'vms[0].node: no node named dc-7'],
    ['an unknown volume kind', (d) => (d.vms[0].volumes = ['nfs']), 'vms[0].volumes[0]: expected one of containerDisk'],
    ['a CPU load that is not a percentage', (d) => (d.vms[0].cpuLoad = 'busy'), 'vms[0].cpuLoad: expected a percentage like 25%, got "busy"'],
    ['a binding no placement reads', (d) => delete d.placements[0].spec.clientBinding, 'vms[0].client: the placement selecting this VM (default/p) has no clientBinding'],
    ['duplicate VM names', (d) => d.vms.push({ ...d.vms[0] }), 'vms[1].name: duplicate VM name default/vm-1 (also vms[0])'],
    ['a placement mode the CRD does not know', (d) => (d.placements[0].spec.mode = 'Sometimes'), 'placements[0].spec.mode: expected one of Enforce, Recommend, got string "Sometimes"'],
    ['a missing selector', (d) => delete d.placements[0].spec.vmSelector, 'placements[0].spec.vmSelector: required field is missing'],
    ['an empty selector (CEL rule)', (d) => (d.placements[0].spec.vmSelector = {}), 'placements[0].spec.vmSelector: vmSelector must not be empty; select the VMs explicitly'],
    ['a ratio above 1', (d) => (d.placements[0].spec.thresholds = { maxDirtyRateRatio: 2 }), 'placements[0].spec.thresholds.maxDirtyRateRatio: must be at most 1, got 2'],
    ['a ratio of 0', (d) => (d.placements[0].spec.thresholds = { maxDirtyRateRatio: 0 }), 'placements[0].spec.thresholds.maxDirtyRateRatio: must be greater than 0, got 0'],
    ['a rate the CRD pattern refuses', (d) => (d.placements[0].spec.thresholds = { minBandwidth: 'fast' }), 'placements[0].spec.thresholds.minBandwidth: "fast" does not match'],
    ['no trigger (CEL rule)', (d) => (d.placements[0].spec.triggers = {}), 'placements[0].spec.triggers: set at least one trigger'],
    ['a latency trigger in minutes (CEL rule)', (d) => (d.placements[0].spec.triggers = { cloudLatencyAbove: '1m' }), 'placements[0].spec.triggers.cloudLatencyAbove: expected a positive duration such as 40ms or 0.5s'],
    ['more per client than per placement (CEL rule)', (d) => (d.placements[0].spec.concurrency = { maxPerPlacement: 1, maxPerClientNode: 2 }), 'placements[0].spec.concurrency.maxPerClientNode: concurrency.maxPerClientNode must not exceed concurrency.maxPerPlacement'],
    ['a cooldown max below its base (CEL rule)', (d) => (d.placements[0].spec.cooldown = { base: '1h', max: '10m' }), 'placements[0].spec.cooldown.max: cooldown.max must be at least cooldown.base'],
    ['post-copy with offline capability (CEL rule)', (d) => (d.placements[0].spec.migration = { allowPostCopy: true }), 'placements[0].spec.migration.allowPostCopy: migration.allowPostCopy cannot be combined with triggers.offlineCapabilityWanted'],
    ['an unknown spec field', (d) => (d.placements[0].spec.thresholdz = {}), 'placements[0].spec.thresholdz: unknown field (did you mean thresholds?)'],
    ['a concurrency that is not a whole number', (d) => (d.placements[0].spec.concurrency = { maxPerPlacement: 1.5 }), 'placements[0].spec.concurrency.maxPerPlacement: expected a whole number, got 1.5'],
    ['a KubeVirt limit of 0', (d) => (d.kubevirt = { parallelMigrationsPerCluster: 0 }), 'kubevirt.parallelMigrationsPerCluster: expected a whole number from 1 to 1000, got 0'],
    ['a document that is not a mapping', (d) => Object.assign(d, { time: 'soon' }), 'time: expected a mapping, got "soon"'],
  ];
  for (const [what, change, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      expect(refusal(change)).to.contain(message);
    });
  }

  it('refuses YAML that does not parse, saying where', () => {
    expect(() => scenarioFromYaml('name: x\nnodes: [\n', parseOptions())).to.throw(ScenarioError, 'not valid YAML at line 3, column 1: deficient indentation');
  });
});
