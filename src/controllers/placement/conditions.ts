/** Status conditions per the Kubernetes API conventions: lastTransitionTime moves only when status does. */
import type { Condition } from '../../kube/objects.js';

export function setCondition(existing: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const list = [...(existing ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const merged: Condition = { ...next, lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime! : now };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}
