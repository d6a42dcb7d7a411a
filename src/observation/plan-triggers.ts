/**
 * Which watch events should make the operator plan again. A live cluster changes all the time in
 * ways the planner never reads: kubelets report every 10 s to 1 min, virt-handler rewrites a VMI's
 * guest-agent readings and its node's heartbeat, the operator's own status writes come back as
 * events. With 10,000 VMIs one plan costs a few hundred milliseconds, so planning on each of those
 * would keep a core busy for nothing.
 *
 * - `ignored`: nothing the planner reads changed (the caches keep only what it reads,
 *   cached-fields.ts, so most of that churn leaves the cached object equal but for its
 *   resourceVersion);
 * - `deferred`: read by the next periodic re-plan (every 30 s by default) rather than planned for
 *   at once: a link measurement refreshed with about the same values while the old one was still
 *   fresh (a link agent reports every 5 minutes), and the progress of migrations that are not the
 *   operator's (a drain, the descheduler), which change only which room and slots are free. Every
 *   plan reads the caches as they are, so nothing deferred is ever planned from stale data;
 * - `plan`: anything else, such as a new or better link, a client leaving, a VM stopping, a
 *   placement changed.
 * Pure: the caller passes the time and the shortest link freshness of all placements, as a function
 * asked only when a link refresh is weighed.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMigrationFinal, KubevirtLabels, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import type { NodeLink } from '../kube/node-link.js';
import type { Node } from '../kube/node.js';
import type { KubeObject } from '../kube/objects.js';
import { isOurs, type OfflineFirstPlacement } from '../kube/placement.js';
import { Annotations, linkFromAnnotations, type LinkMeasurement, type Parsed } from './annotations.js';
import { linkFromNodeLink } from './node-link.js';
import { DEFAULT_LINK_MAX_AGE } from './placement-policy.js';
import { parseDuration } from '../domain/units.js';

export type PlanTrigger = 'plan' | 'deferred' | 'ignored';

export interface TriggerContext {
  nowMs: number;
  /** The shortest linkMaxAge of all placements: a link older than this is stale for one of them. */
  linkFreshForMs: number;
}

/** A refreshed link within these bounds of the old one is not news. */
export const LINK_REFRESH_TOLERANCE = { bandwidthRatio: 0.1, rttRatio: 0.1, rttMs: 2 } as const;

const LINK_ANNOTATIONS = [Annotations.linkBandwidth, Annotations.linkRtt, Annotations.linkMeasuredAt];

/** Without what changes on every write or differs by how the object was read (a list's items carry no apiVersion or kind). */
function withoutVersion<T extends KubeObject>({ apiVersion: _a, kind: _k, ...o }: T): Omit<T, 'apiVersion' | 'kind'> {
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
}

/** Equal but for the resourceVersion, apiVersion and kind (and whatever the cache already dropped). */
export function sameForPlanner(old: KubeObject, next: KubeObject): boolean {
  return isDeepStrictEqual(withoutVersion(old), withoutVersion(next));
}

/** Any object the planner reads whole (VMIs and nodes as cached, migrations, policies, namespaces). */
export function objectTrigger(old: KubeObject | undefined, next: KubeObject): PlanTrigger {
  return old && sameForPlanner(old, next) ? 'ignored' : 'plan';
}

const TIMED_PHASES: ReadonlySet<string> = new Set(['Running', 'Succeeded', 'Failed']);

/**
 * A migration as the planner reads it (settling.ts, history.ts, link-learning.ts): open or how it
 * ended, its ends, the times of its run, its labels and annotations. Not the steps in between
 * (Scheduling, Scheduled, PreparingTarget, TargetReady), each of which KubeVirt reports: an open
 * migration holds its slots whatever its step, and a hang is found by the periodic re-plan.
 */
function migrationAsRead(m: VirtualMachineInstanceMigration) {
  const s = m.status;
  const state = s?.migrationState;
  return {
    metadata: m.metadata,
    spec: m.spec,
    ended: isMigrationFinal(m) ? s?.phase : undefined,
    times: s?.phaseTransitionTimestamps?.filter((p) => TIMED_PHASES.has(p.phase)),
    state: state && [state.sourceNode, state.targetNode, state.startTimestamp, state.endTimestamp, state.failureReason],
  };
}

export function migrationTrigger(old: VirtualMachineInstanceMigration | undefined, next: VirtualMachineInstanceMigration): PlanTrigger {
  if (old && sameForPlanner(migrationAsRead(old), migrationAsRead(next))) return 'ignored';
  return isOurs(next) ? 'plan' : 'deferred';
}

/** A migration gone: the operator's frees its slots now; another's is read at the next re-plan. */
export function migrationDeleteTrigger(m: VirtualMachineInstanceMigration): PlanTrigger {
  return isOurs(m) ? 'plan' : 'deferred';
}

/** A VMI without what KubeVirt rewrites as it migrates it: where it runs, and the migration's state. */
function withoutMove(v: VirtualMachineInstance): VirtualMachineInstance {
  const { [KubevirtLabels.nodeName]: _node, [KubevirtLabels.migrationTargetNodeName]: _target, ...labels } = v.metadata.labels ?? {};
  return { ...v, metadata: { ...v.metadata, labels }, ...(v.status ? { status: { ...v.status, nodeName: undefined, migrationState: undefined } } : {}) };
}

/**
 * A VMI as cached. Moved by a migration that is not the operator's (`ownMigration` tells by uid),
 * it is deferred like that migration; anything else it changes plans.
 */
export function vmiTrigger(old: VirtualMachineInstance | undefined, next: VirtualMachineInstance, ownMigration: (uid: string) => boolean): PlanTrigger {
  if (!old) return 'plan';
  if (sameForPlanner(old, next)) return 'ignored';
  const uid = next.status?.migrationState?.migrationUid ?? old.status?.migrationState?.migrationUid;
  if (uid && !ownMigration(uid) && sameForPlanner(withoutMove(old), withoutMove(next))) return 'deferred';
  return 'plan';
}

/** A placement: its status is the operator's own output, written after each plan. */
export function placementTrigger(old: OfflineFirstPlacement | undefined, next: OfflineFirstPlacement): PlanTrigger {
  if (!old) return 'plan';
  const { status: _old, ...oldRead } = old;
  const { status: _next, ...nextRead } = next;
  return sameForPlanner(oldRead, nextRead) ? 'ignored' : 'plan';
}

/**
 * Whether `next` replaces a still-fresh `old` with about the same values. The context is asked for
 * only when both are readable links (most node events never get here).
 */
export function routineLinkRefresh(old: Parsed<LinkMeasurement>, next: Parsed<LinkMeasurement>, context: () => TriggerContext): boolean {
  const a = old.value;
  const b = next.value;
  if (!a || !b || old.error !== undefined || next.error !== undefined) return false;
  // A link that was stale for some placement (or about to be) and is fresh again is news.
  const ctx = context();
  if (ctx.nowMs - a.measuredAtMs >= ctx.linkFreshForMs || b.measuredAtMs < a.measuredAtMs) return false;
  if (Math.abs(b.bandwidthBytesPerSecond / a.bandwidthBytesPerSecond - 1) > LINK_REFRESH_TOLERANCE.bandwidthRatio) return false;
  if (a.rttMs === undefined || b.rttMs === undefined) return a.rttMs === b.rttMs;
  return Math.abs(b.rttMs - a.rttMs) <= Math.max(LINK_REFRESH_TOLERANCE.rttMs, LINK_REFRESH_TOLERANCE.rttRatio * a.rttMs);
}

function withoutLinkAnnotations(n: Node): Node {
  const annotations = { ...n.metadata.annotations };
  for (const k of LINK_ANNOTATIONS) delete annotations[k];
  return { ...n, metadata: { ...n.metadata, annotations } };
}

/** A node as cached: link annotations refreshed alone are deferred, anything else read plans. */
export function nodeTrigger(old: Node | undefined, next: Node, context: () => TriggerContext): PlanTrigger {
  if (!old) return 'plan';
  if (sameForPlanner(old, next)) return 'ignored';
  if (!sameForPlanner(withoutLinkAnnotations(old), withoutLinkAnnotations(next))) return 'plan';
  return routineLinkRefresh(linkFromAnnotations(old), linkFromAnnotations(next), context) ? 'deferred' : 'plan';
}

/** A link agent's record: the planner reads its estimate only (not the last probe or probe count). */
export function nodeLinkTrigger(old: NodeLink | undefined, next: NodeLink, context: () => TriggerContext): PlanTrigger {
  if (!old || old.metadata.name !== next.metadata.name) return 'plan';
  const a = linkFromNodeLink(old);
  const b = linkFromNodeLink(next);
  if (isDeepStrictEqual(a, b)) return 'ignored';
  return routineLinkRefresh(a, b, context) ? 'deferred' : 'plan';
}

/** The shortest spec.linkMaxAge of the placements (10m when unset); unreadable ones count as 0 (every refresh plans). */
export function linkFreshForMs(placements: readonly OfflineFirstPlacement[]): number {
  let shortest = Infinity;
  for (const p of placements) {
    let ms = 0;
    try {
      ms = parseDuration(p.spec?.linkMaxAge ?? DEFAULT_LINK_MAX_AGE, 'spec.linkMaxAge');
    } catch {
      // Reported by the plan; here it only means no refresh is deferred.
    }
    shortest = Math.min(shortest, ms);
  }
  return shortest;
}
