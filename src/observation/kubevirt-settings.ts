/**
 * KubeVirt's migration configuration and MigrationPolicies, from their objects to the domain's
 * plain data (domain/migration/kubevirt-settings.ts resolves them per VMI). A value that cannot be
 * read is reported, naming the field, and left out: KubeVirt's default (or the cluster's value,
 * for a policy) stands in for it.
 */
import type { KubevirtMigrationConfig, KubevirtMigrationPolicy } from '../domain/migration/kubevirt-settings.js';
import { parseBytes } from '../domain/units.js';
import type { KubeVirt, MigrationPolicy } from '../kube/kubevirt.js';
import { byCreation } from '../kube/objects.js';

export interface Parsed<T> {
  readonly value: T;
  readonly errors: string[];
}

type Reader = (raw: unknown, field: string) => number | boolean;

const wholeNumber =
  (min: number): Reader =>
  (raw, field) => {
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new Error(`${field}: expected a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };

const flag: Reader = (raw, field) => {
  if (typeof raw !== 'boolean') throw new Error(`${field}: expected true or false, got ${JSON.stringify(raw)}`);
  return raw;
};

/** A Quantity in bytes per second, "64Mi" or 0 (unlimited). */
const bytesPerSecond: Reader = (raw, field) => {
  if (typeof raw === 'number' && raw >= 0) return raw;
  if (typeof raw !== 'string') throw new Error(`${field}: expected a quantity such as 64Mi, got ${JSON.stringify(raw)}`);
  return parseBytes(raw, field);
};

function read(source: Record<string, unknown>, prefix: string, fields: Record<string, [string, Reader]>, errors: string[]): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [json, [name, reader]] of Object.entries(fields)) {
    const raw = source[json];
    if (raw === undefined || raw === null) continue;
    try {
      out[name] = reader(raw, `${prefix}.${json}`);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}

const SHARED_FIELDS: Record<string, [string, Reader]> = {
  bandwidthPerMigration: ['bandwidthPerMigrationBytesPerSecond', bytesPerSecond],
  completionTimeoutPerGiB: ['completionTimeoutPerGiB', wholeNumber(0)],
  maxDowntimeMs: ['maxDowntimeMs', wholeNumber(1)],
  allowAutoConverge: ['allowAutoConverge', flag],
  allowPostCopy: ['allowPostCopy', flag],
};

const CLUSTER_FIELDS: Record<string, [string, Reader]> = {
  parallelMigrationsPerCluster: ['parallelMigrationsPerCluster', wholeNumber(1)],
  parallelOutboundMigrationsPerNode: ['parallelOutboundMigrationsPerNode', wholeNumber(1)],
  progressTimeout: ['progressTimeoutSeconds', wholeNumber(0)],
  ...SHARED_FIELDS,
};

/** The KubeVirt resource in charge: KubeVirt runs one; of several, the oldest (not being deleted). */
export function activeKubevirt(kubevirts: readonly KubeVirt[]): KubeVirt | undefined {
  return kubevirts
    .filter((k) => !k.metadata.deletionTimestamp)
    .sort(byCreation)[0];
}

/** The KubeVirt resource's spec.configuration.migrations. */
export function kubevirtMigrationConfig(kv: KubeVirt): Parsed<KubevirtMigrationConfig> {
  const errors: string[] = [];
  const value = read((kv.spec?.configuration?.migrations ?? {}) as Record<string, unknown>, 'spec.configuration.migrations', CLUSTER_FIELDS, errors);
  return { value: value as KubevirtMigrationConfig, errors };
}

function labelMap(raw: unknown, field: string, errors: string[]): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'object' && !Array.isArray(raw) && Object.values(raw).every((v) => typeof v === 'string')) return raw as Record<string, string>;
  errors.push(`${field}: expected a map of label values, got ${JSON.stringify(raw)}`);
  return undefined;
}

/** A MigrationPolicy; one whose selectors cannot be read is left out (undefined), as it cannot be matched. */
export function migrationPolicy(p: MigrationPolicy): Parsed<KubevirtMigrationPolicy | undefined> {
  const errors: string[] = [];
  const spec = (p.spec ?? {}) as Record<string, unknown>;
  const s = p.spec?.selectors;
  const selectorErrors: string[] = [];
  const vmiSelector = labelMap(s?.virtualMachineInstanceSelector, 'spec.selectors.virtualMachineInstanceSelector', selectorErrors);
  const nsSelector = labelMap(s?.namespaceSelector, 'spec.selectors.namespaceSelector', selectorErrors);
  errors.push(...selectorErrors);
  const fields = read(spec, 'spec', SHARED_FIELDS, errors);
  if (selectorErrors.length > 0) return { value: undefined, errors };
  return {
    value: {
      name: p.metadata.name ?? '',
      ...(s ? { selectors: { ...(vmiSelector ? { virtualMachineInstanceSelector: vmiSelector } : {}), ...(nsSelector ? { namespaceSelector: nsSelector } : {}) } } : {}),
      ...(fields as Omit<KubevirtMigrationPolicy, 'name' | 'selectors'>),
    },
    errors,
  };
}
