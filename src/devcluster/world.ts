/**
 * The worlds `cluster up --world NAME` seeds the local control plane with: the Node and
 * VirtualMachineInstance manifests in examples/local-cluster/, applied as kubelet, virt-handler
 * and a link agent would leave them (status through the status subresource, the not-ready taint
 * lifted, kubelet's node Lease, measurement and heartbeat times stamped now). While the cluster
 * runs, refreshNodeTimes keeps those times fresh: without it every client's link would turn stale
 * after the placements' linkMaxAge (10 minutes by default) and no VM would move.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { projectRoot } from '../controlplane/tools.js';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists } from '../kube/errors.js';
import { KubevirtLabels, type VirtualMachineInstance } from '../kube/kubevirt.js';
import { toMicroTime, type Lease } from '../kube/lease.js';
import type { Node } from '../kube/node.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { Annotations } from '../observation/annotations.js';
import { putNode } from '../sim/fixtures/nodes.js';
import { putVmiObject } from '../sim/fixtures/vmis.js';

export const localClusterExamplesDir = join(projectRoot, 'examples', 'local-cluster');

export interface World {
  readonly summary: string;
  /** Manifests applied in order (namespaces, nodes and VMIs). */
  readonly files: readonly string[];
}

export const WORLDS: Readonly<Record<string, World>> = {
  'lab-room': {
    summary: 'room 1-237: 2 data-centre servers, 3 student workstations on the campus LAN, 3 running student VMs',
    files: ['nodes.yaml', 'vmis.yaml'].map((f) => join(localClusterExamplesDir, f)),
  },
  empty: { summary: 'nothing but the CRDs and the simulated KubeVirt', files: [] },
};

export interface WorldCounts {
  nodes: number;
  vmis: number;
}

/** Node annotations whose time a running agent keeps current: the link agent's and virt-handler's. */
function stampedAnnotations(node: Node, at: string): Record<string, string> {
  const stamped: Record<string, string> = {};
  const annotations = node.metadata.annotations ?? {};
  if (Annotations.linkMeasuredAt in annotations || Annotations.linkBandwidth in annotations) stamped[Annotations.linkMeasuredAt] = at;
  if (KubevirtLabels.heartbeat in annotations) stamped[KubevirtLabels.heartbeat] = at;
  return stamped;
}

/** A manifest's node as kubelet would have just reported it. */
function freshNode(node: Node, at: string): Node {
  const conditions = node.status?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: at, lastTransitionTime: at }));
  return {
    ...node,
    metadata: { ...node.metadata, annotations: { ...node.metadata.annotations, ...stampedAnnotations(node, at) } },
    ...(node.status ? { status: { ...node.status, ...(conditions ? { conditions } : {}) } } : {}),
  };
}

/** The Lease kubelet renews for its node (kube-node-lease), which `kubectl describe node` shows. */
export function nodeLease(node: string, nowMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: node, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: toMicroTime(nowMs) },
  };
}

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Applies a world's manifests; a kind it does not know is an error naming the file. */
export async function applyWorld(client: KubeClient, world: World, nowMs: number): Promise<WorldCounts> {
  const at = new Date(nowMs).toISOString();
  const counts: WorldCounts = { nodes: 0, vmis: 0 };
  for (const file of world.files) {
    const docs = (yaml.loadAll(readFileSync(file, 'utf8')) as (KubeObject | null)[]).filter((d): d is KubeObject => d !== null);
    for (const doc of docs) {
      switch (doc.kind) {
        case 'Namespace':
          try {
            await client.create(Resources.namespace, { metadata: { name: doc.metadata.name } });
          } catch (err) {
            if (!isAlreadyExists(err)) throw err;
          }
          break;
        case 'Node':
          await putNode(client, freshNode(doc as Node, at));
          await client.apply(Resources.lease, nodeLease(doc.metadata.name!, nowMs), { fieldManager: 'kubelet', force: true });
          counts.nodes++;
          break;
        case 'VirtualMachineInstance':
          await putVmiObject(client, doc as VirtualMachineInstance);
          counts.vmis++;
          break;
        default:
          throw new Error(`${file}: cannot seed a ${doc.kind ?? 'document without a kind'} (${doc.metadata?.name ?? 'unnamed'}); a world holds Namespaces, Nodes and VirtualMachineInstances`);
      }
    }
  }
  return counts;
}

/**
 * Stamps the link measurement and virt-handler heartbeat times of every node carrying them, and
 * renews the node Leases there are, as their agents would.
 */
export async function refreshNodeTimes(client: KubeClient, nowMs: number): Promise<number> {
  const at = new Date(nowMs).toISOString();
  let refreshed = 0;
  for (const node of (await client.list<Node>(Resources.node)).items) {
    const annotations = stampedAnnotations(node, at);
    if (Object.keys(annotations).length === 0) continue;
    await client.mergePatch(Resources.node, undefined, node.metadata.name!, { metadata: { annotations } });
    refreshed++;
  }
  for (const lease of (await client.list<Lease>(Resources.lease, NODE_LEASE_NAMESPACE)).items) {
    await client.mergePatch(Resources.lease, NODE_LEASE_NAMESPACE, lease.metadata.name!, { spec: { renewTime: toMicroTime(nowMs) } });
  }
  return refreshed;
}
