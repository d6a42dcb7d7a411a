import { expect } from 'chai';
import { cpuRejection, cpuRequirement, type CpuRequirement } from '../../../../src/domain/placement/cpu-compatibility.js';
import { NodeLabels, sourceCpuFacts } from '../../../../src/domain/placement/node-labels.js';
import type { VmCpu } from '../../../../src/domain/placement/index.js';
import { clientNode, homeNode, intelLabels } from './fixtures.js';

const off = (prefix: string, name: string): Record<string, string> => ({ [prefix + name]: 'false' });
const on = (prefix: string, name: string): Record<string, string> => ({ [prefix + name]: 'true' });

function requirementFor(cpu: VmCpu, sourceLabels = intelLabels()): CpuRequirement {
  const result = cpuRequirement(cpu, sourceCpuFacts(homeNode('src', { labels: sourceLabels })));
  if (!result.ok) throw new Error(result.message);
  return result.requirement;
}

describe('CPU compatibility (KubeVirt target selectors)', () => {
  const named: VmCpu = { model: 'Skylake-Client-IBRS', requiredFeatures: ['vmx'] };
  const hostModel: VmCpu = { model: 'host-model', requiredFeatures: [] };
  const passthrough: VmCpu = { model: 'host-passthrough', requiredFeatures: [] };

  // [what, VM CPU, target labels, expected rejection]
  const rows: [string, VmCpu, Record<string, string>, string | undefined][] = [
    ['named model usable on the target', named, intelLabels(), undefined],
    ['named model not usable on the target', named, intelLabels(off(NodeLabels.cpuModelPrefix, 'Skylake-Client-IBRS')), 'CPUModelUnsupported'],
    ['named model, a required feature missing', named, intelLabels(off(NodeLabels.cpuFeaturePrefix, 'vmx')), 'CPUFeatureMissing'],
    ['named model, other vendor', named, intelLabels({ ...off(NodeLabels.cpuVendorPrefix, 'Intel'), ...on(NodeLabels.cpuVendorPrefix, 'AMD') }), 'CPUVendorMismatch'],
    ['named model, other architecture', named, intelLabels({ [NodeLabels.arch]: 'arm64' }), 'ArchitectureMismatch'],
    ['host-model: target knows the source model and has its required features', hostModel, intelLabels(), undefined],
    // Usable or not does not matter for host-model: the migration label lists every known model.
    [
      'host-model: source model known but not usable on the target',
      hostModel,
      intelLabels({ ...off(NodeLabels.cpuModelPrefix, 'Cascadelake-Server'), ...off(NodeLabels.hostModelCpuPrefix, 'Cascadelake-Server') }),
      undefined,
    ],
    ['host-model: source model unknown to the target', hostModel, intelLabels(off(NodeLabels.cpuModelMigrationPrefix, 'Cascadelake-Server')), 'HostModelUnsupported'],
    ['host-model: a feature the source requires is missing', hostModel, intelLabels(off(NodeLabels.cpuFeaturePrefix, 'pcid')), 'HostModelUnsupported'],
    ['host-model: other vendor', hostModel, intelLabels({ ...off(NodeLabels.cpuVendorPrefix, 'Intel'), ...on(NodeLabels.cpuVendorPrefix, 'AMD') }), 'CPUVendorMismatch'],
    [
      'host-passthrough: same vendor, nothing else in common',
      passthrough,
      { [NodeLabels.arch]: 'amd64', [NodeLabels.kubevirtSchedulable]: 'true', ...on(NodeLabels.cpuVendorPrefix, 'Intel') },
      undefined,
    ],
    ['host-passthrough: other vendor', passthrough, { [NodeLabels.arch]: 'amd64', ...on(NodeLabels.cpuVendorPrefix, 'AMD') }, 'CPUVendorMismatch'],
    ['host-passthrough: no vendor label on the target', passthrough, { [NodeLabels.arch]: 'amd64' }, 'CPUVendorMismatch'],
  ];
  for (const [what, cpu, targetLabels, expected] of rows) {
    it(`${what}: ${expected ?? 'compatible'}`, () => {
      expect(cpuRejection(requirementFor(cpu), targetLabels)).to.equal(expected);
    });
  }

  it('host-model uses the features and model inherited from the launcher pod after an earlier migration', () => {
    const cpu: VmCpu = { model: 'host-model', requiredFeatures: [], inheritedHostModel: { model: 'Icelake-Server', requiredFeatures: ['avx512f'] } };
    const req = requirementFor(cpu);
    expect(cpuRejection(req, intelLabels())).to.equal('HostModelUnsupported');
    expect(cpuRejection(req, intelLabels(on(NodeLabels.cpuFeaturePrefix, 'avx512f')))).to.equal(undefined);
  });

  it('refuses host-model when the source node has no host-model CPU label', () => {
    const labels = intelLabels(off(NodeLabels.hostModelCpuPrefix, 'Cascadelake-Server'));
    const result = cpuRequirement({ model: 'host-model', requiredFeatures: [] }, sourceCpuFacts(clientNode('src', { labels })));
    expect(result).to.include({ ok: false, reason: 'HostModelUnsupported' });
  });

  it('adds no vendor constraint when the source has no vendor label', () => {
    const labels = intelLabels(off(NodeLabels.cpuVendorPrefix, 'Intel'));
    const req = requirementFor(passthrough, labels);
    expect(req.vendor).to.equal(undefined);
    expect(cpuRejection(req, { [NodeLabels.arch]: 'amd64', ...on(NodeLabels.cpuVendorPrefix, 'AMD') })).to.equal(undefined);
  });

  it('gives equal requirements equal keys, whatever the order of features', () => {
    const a = requirementFor({ model: 'Skylake-Client-IBRS', requiredFeatures: ['vmx', 'pcid'] });
    const b = requirementFor({ model: 'Skylake-Client-IBRS', requiredFeatures: ['pcid', 'vmx', 'pcid'] });
    const c = requirementFor({ model: 'Skylake-Client-IBRS', requiredFeatures: ['vmx'] });
    expect(a.key).to.equal(b.key);
    expect(a.key).not.to.equal(c.key);
  });
});
