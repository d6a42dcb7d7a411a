/** The Kubernetes resources the project reads or writes, and how their REST paths are built. */

export interface Resource {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export function apiVersionOf(r: Resource): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Path of a collection or (with a name) an object, optionally a subresource. */
export function resourcePath(r: Resource, namespace?: string, name?: string, subresource?: string): string {
  let p = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}

const r = (group: string, version: string, plural: string, kind: string, namespaced: boolean): Resource => ({
  group,
  version,
  plural,
  kind,
  namespaced,
});

export const Resources = {
  node: r('', 'v1', 'nodes', 'Node', false),
  namespace: r('', 'v1', 'namespaces', 'Namespace', false),
  pod: r('', 'v1', 'pods', 'Pod', true),
  event: r('events.k8s.io', 'v1', 'events', 'Event', true),
  lease: r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  crd: r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
  vmi: r('kubevirt.io', 'v1', 'virtualmachineinstances', 'VirtualMachineInstance', true),
  migration: r('kubevirt.io', 'v1', 'virtualmachineinstancemigrations', 'VirtualMachineInstanceMigration', true),
  migrationPolicy: r('migrations.kubevirt.io', 'v1alpha1', 'migrationpolicies', 'MigrationPolicy', false),
  kubevirt: r('kubevirt.io', 'v1', 'kubevirts', 'KubeVirt', true),
  placement: r('placement.offline-first.io', 'v1alpha1', 'offlinefirstplacements', 'OfflineFirstPlacement', true),
  nodeLink: r('placement.offline-first.io', 'v1alpha1', 'nodelinks', 'NodeLink', false),
  subjectAccessReview: r('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false),
} as const;
