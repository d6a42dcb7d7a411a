/**
 * The local cluster's lab-room world (examples/local-cluster/): the nodes carry what kubelet and
 * KubeVirt's node labeller set, as the fixtures the simulator and the tests use have it, and every
 * VMI runs on one of them with the inputs the operator reads.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { WORLDS } from '../../../src/devcluster/world.js';
import type { VirtualMachineInstance } from '../../../src/kube/kubevirt.js';
import type { Node } from '../../../src/kube/node.js';
import type { KubeObject } from '../../../src/kube/objects.js';
import { dirtyRateFromAnnotations, guestUsedFromAnnotations, linkFromAnnotations } from '../../../src/observation/annotations.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';

const docs = WORLDS['lab-room']!.files.flatMap((f) => (yaml.loadAll(readFileSync(f, 'utf8')) as (KubeObject | null)[]).filter((d): d is KubeObject => d !== null));
const nodes = docs.filter((d): d is Node => d.kind === 'Node');
const vmis = docs.filter((d): d is VirtualMachineInstance => d.kind === 'VirtualMachineInstance');
const isClient = (n: Node) => n.metadata.labels?.['offline-first.io/pool'] === 'client';

/** The labels kubelet and KubeVirt set (not the ones a person adds to say what a node is for). */
function systemLabels(n: Node): Record<string, string> {
  return Object.fromEntries(Object.entries(n.metadata.labels ?? {}).filter(([k]) => k.startsWith('kubernetes.io/') || k.includes('kubevirt.io')));
}

describe('the lab-room world of the local cluster', () => {
  it('has at least two servers and three clients, and a running VMI for each client', () => {
    expect(nodes.filter((n) => !isClient(n))).to.have.length.of.at.least(2);
    expect(nodes.filter(isClient)).to.have.length.of.at.least(3);
    expect(vmis.map((v) => v.status?.phase)).to.deep.equal(nodes.filter(isClient).map(() => 'Running'));
  });

  it('labels each node as the fixtures do: hostname, arch, schedulable and the node labeller\'s CPU labels', () => {
    for (const n of nodes) {
      const name = n.metadata.name!;
      const fixture = isClient(n) ? clientWorkstation(name) : cloudServer(name, { hostModel: 'Cascadelake-Server' });
      expect(systemLabels(n), name).to.deep.equal(systemLabels(fixture));
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, name).to.equal('True');
      expect(n.spec?.taints ?? [], name).to.deep.equal([]);
    }
  });

  it('gives every client link annotations the operator can read', () => {
    for (const n of nodes.filter(isClient)) {
      const link = linkFromAnnotations(n);
      expect(link.error, n.metadata.name).to.equal(undefined);
      expect(link.value?.bandwidthBytesPerSecond, n.metadata.name).to.be.greaterThan(0);
    }
  });

  it('runs every VMI on a server, Ready and LiveMigratable, with a dirty rate and guest memory in use the operator can read', () => {
    const servers = new Set(nodes.filter((n) => !isClient(n)).map((n) => n.metadata.name));
    for (const v of vmis) {
      expect(servers.has(v.status?.nodeName), v.metadata.name).to.equal(true);
      expect(v.metadata.labels?.['kubevirt.io/nodeName']).to.equal(v.status?.nodeName);
      expect(v.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).to.include.members(['Ready', 'LiveMigratable']);
      expect(dirtyRateFromAnnotations(v).value, v.metadata.name).not.to.equal(undefined);
      expect(guestUsedFromAnnotations(v).value, v.metadata.name).to.be.greaterThan(0);
    }
  });
});
