/**
 * What the operator's caches keep of a VMI and a Node: the fields the gatherer, the controllers and
 * the actuator read, and nothing else. A real VMI is about 4.5 kB of JSON (devices, firmware,
 * cloud-init user data, guest OS info, interfaces, volume status...) and a real Node carries its
 * image list and addresses; with 10,000 VMIs and 1,000 nodes the unread parts are most of the heap.
 *
 * Kept, and where it is read:
 * - metadata, without managedFields, ownerReferences and finalizers (labels and annotations for
 *   selectors, bindings, links and measurements; uid, resourceVersion for migrations and Events);
 * - VMI spec.domain.{cpu, memory, resources} (footprint, model input, CPU compatibility), and each
 *   volume's name and kind, with emptyDisk and hostDisk whole (disks.ts reads capacity and shared);
 * - VMI status.{phase, nodeName, migrationMethod}, the LiveMigratable condition and of its
 *   migrationState the migration's uid, ends, times and outcome (history, settling, in-flight);
 * - Node spec.{unschedulable, taints}, status.allocatable, the Ready condition, and of the node's
 *   annotations only the project's own (`*offline-first.io/...`: link, leaving, departure).
 * Conditions keep type, status, reason and message: not the heartbeat and probe times kubelet and
 * virt-handler rewrite on every report. A kubelet heartbeat, virt-handler's `kubevirt.io/heartbeat`
 * annotation or a new guest-agent reading then leaves the cached object as it was, and the
 * operator sees that nothing it reads changed (plan-triggers.ts).
 * test/unit/observation/cached-fields.test.ts holds this list to what `gather` reads: a plan from
 * trimmed objects equals a plan from full ones. A new field read must be added here.
 */
import type { MigrationState, VirtualMachineInstance, Volume } from '../kube/kubevirt.js';
import type { Node } from '../kube/node.js';
import type { ObjectMeta } from '../kube/objects.js';

/** Volume sources whose content disks.ts reads; for the others only their presence (the kind) matters. */
const VOLUME_SOURCES_READ: ReadonlySet<string> = new Set(['emptyDisk', 'hostDisk']);

/** What history.ts, settling.ts and gather read of a VMI's migrationState (not the pods, ports and mode virt-handler rewrites as the migration runs). */
const MIGRATION_STATE_FIELDS = [
  'migrationUid', 'sourceNode', 'targetNode', 'startTimestamp', 'endTimestamp', 'completed', 'failed',
] as const satisfies readonly (keyof MigrationState)[];

function cachedMetadata({ managedFields: _m, ownerReferences: _o, finalizers: _f, ...kept }: ObjectMeta): ObjectMeta {
  return kept;
}

/** The project's own annotations (link.offline-first.io/..., offline-first.io/...): all the operator reads of a node's. */
function ownAnnotations(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!annotations) return undefined;
  const kept = Object.entries(annotations).filter(([k]) => /^(?:[^/]+\.)?offline-first\.io\//.test(k));
  return Object.fromEntries(kept);
}

type Condition = { type: string; status: string; reason?: string; message?: string };

/** The conditions of these types, without the times their reporter rewrites on every heartbeat. */
function conditionsOf<C extends Condition>(conditions: readonly C[] | undefined, types: ReadonlySet<string>): C[] | undefined {
  return conditions?.filter((c) => types.has(c.type)).map((c) => defined({ type: c.type, status: c.status, reason: c.reason, message: c.message }) as C);
}

const VMI_CONDITIONS_READ: ReadonlySet<string> = new Set(['LiveMigratable']);
const NODE_CONDITIONS_READ: ReadonlySet<string> = new Set(['Ready']);

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function cachedVolume(v: Volume): Volume {
  const kept: Record<string, unknown> = { name: v.name };
  for (const [k, source] of Object.entries(v)) if (k !== 'name') kept[k] = VOLUME_SOURCES_READ.has(k) ? source : {};
  return kept as unknown as Volume;
}

function cachedMigrationState(s: MigrationState): MigrationState {
  const kept: Record<string, unknown> = {};
  for (const k of MIGRATION_STATE_FIELDS) if (s[k] !== undefined) kept[k] = s[k];
  return kept as MigrationState;
}

export function cachedVmi(vmi: VirtualMachineInstance): VirtualMachineInstance {
  // Defensive: a transform that threw would fail the informer's watch over and over.
  const { cpu, memory, resources } = vmi.spec?.domain ?? {};
  const s = vmi.status;
  return {
    ...(vmi.apiVersion ? { apiVersion: vmi.apiVersion } : {}),
    ...(vmi.kind ? { kind: vmi.kind } : {}),
    metadata: cachedMetadata(vmi.metadata),
    spec: {
      domain: defined({ cpu, memory, resources }),
      ...(vmi.spec?.volumes ? { volumes: vmi.spec.volumes.map(cachedVolume) } : {}),
    },
    ...(s
      ? {
          status: defined({
            phase: s.phase,
            nodeName: s.nodeName,
            conditions: conditionsOf(s.conditions, VMI_CONDITIONS_READ),
            migrationMethod: s.migrationMethod,
            migrationState: s.migrationState ? cachedMigrationState(s.migrationState) : undefined,
          }),
        }
      : {}),
  };
}

export function cachedNode(node: Node): Node {
  const ready = conditionsOf(node.status?.conditions, NODE_CONDITIONS_READ);
  const metadata = cachedMetadata(node.metadata);
  return {
    ...(node.apiVersion ? { apiVersion: node.apiVersion } : {}),
    ...(node.kind ? { kind: node.kind } : {}),
    metadata: node.metadata.annotations ? { ...metadata, annotations: ownAnnotations(node.metadata.annotations) } : metadata,
    ...(node.spec ? { spec: defined({ unschedulable: node.spec.unschedulable, taints: node.spec.taints }) } : {}),
    ...(node.status ? { status: defined({ allocatable: node.status.allocatable, conditions: ready }) } : {}),
  };
}
