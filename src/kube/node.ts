/** The parts of core/v1 Node the project reads. */
import type { KubeObject } from './objects.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }[];
    allocatable?: Record<string, string>;
    capacity?: Record<string, string>;
    nodeInfo?: { architecture?: string; kubeletVersion?: string };
  };
}

export function isNodeReady(n: Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
