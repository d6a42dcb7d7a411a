/** Objects from a list carry no apiVersion or kind; an Event's `regarding` needs both. */
import type { VirtualMachineInstance } from '../kube/kubevirt.js';
import type { Node } from '../kube/node.js';
import type { OfflineFirstPlacement } from '../kube/placement.js';

type Targeted<T> = T & { apiVersion: string; kind: string };

export function asVmi(vmi: VirtualMachineInstance): Targeted<VirtualMachineInstance> {
  return { ...vmi, apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
}

export function asPlacement(p: OfflineFirstPlacement): Targeted<OfflineFirstPlacement> {
  return { ...p, apiVersion: 'placement.offline-first.io/v1alpha1', kind: 'OfflineFirstPlacement' };
}

export function asNode(node: Node): Targeted<Node> {
  return { ...node, apiVersion: 'v1', kind: 'Node' };
}
