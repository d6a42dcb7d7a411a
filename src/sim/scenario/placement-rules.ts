/**
 * The CRD's CEL rules (x-kubernetes-validations), written out in TypeScript with the CRD's own
 * messages, so that a scenario refuses the placements the API server would refuse. Keep in step
 * with crds/placement.offline-first.io_offlinefirstplacements.yaml.
 */
import { parseDuration } from '../../domain/units.js';
import type { OfflineFirstPlacementSpec } from '../../kube/placement.js';
import type { LabelSelector } from '../../kube/selectors.js';
import { ScenarioError } from './field-reader.js';

interface Rule {
  /** Below spec, e.g. `.migration.allowPostCopy`. */
  readonly path: string;
  readonly holds: (s: OfflineFirstPlacementSpec) => boolean;
  readonly message: string;
}

const nonEmpty = (sel: LabelSelector | undefined): boolean =>
  Object.keys(sel?.matchLabels ?? {}).length > 0 || (sel?.matchExpressions?.length ?? 0) > 0;

const seconds = (text: string): number => parseDuration(text, 'duration') / 1000;

/** `text` matches `pattern` and its duration passes `test`. */
const durationRule = (text: string | undefined, pattern: RegExp, test: (s: number) => boolean = () => true): boolean =>
  text === undefined || (pattern.test(text) && test(seconds(text)));

const WHOLE_UNITS = /^[0-9]+(s|m|h)$/;

function selectorRules(name: 'vmSelector' | 'clientNodeSelector' | 'homeNodeSelector', message: string): Rule[] {
  return [
    { path: `.${name}`, holds: (s) => nonEmpty(s[name]), message },
    {
      path: `.${name}.matchExpressions`,
      holds: (s) =>
        (s[name]?.matchExpressions ?? []).every((e) =>
          e.operator === 'Exists' || e.operator === 'DoesNotExist' ? (e.values ?? []).length === 0 : (e.values ?? []).length > 0,
        ),
      message: 'values must be empty for Exists and DoesNotExist, and non-empty for In and NotIn',
    },
  ];
}

const RULES: readonly Rule[] = [
  ...selectorRules('vmSelector', 'vmSelector must not be empty; select the VMs explicitly'),
  ...selectorRules('clientNodeSelector', 'clientNodeSelector must not be empty; an empty selector would make every node a client'),
  ...selectorRules('homeNodeSelector', 'homeNodeSelector must not be empty; an empty selector would make every node a home node'),
  {
    path: '.homeNodeSelector',
    holds: (s) =>
      !(
        s.clientNodeSelector.matchLabels &&
        s.homeNodeSelector.matchLabels &&
        JSON.stringify(Object.entries(s.clientNodeSelector.matchLabels).sort()) === JSON.stringify(Object.entries(s.homeNodeSelector.matchLabels).sort()) &&
        !s.clientNodeSelector.matchExpressions &&
        !s.homeNodeSelector.matchExpressions
      ),
    message: 'clientNodeSelector and homeNodeSelector must differ, or every client would also be a home node',
  },
  {
    path: '.migration.allowPostCopy',
    holds: (s) => !(s.migration?.allowPostCopy && s.triggers.offlineCapabilityWanted),
    message: 'migration.allowPostCopy cannot be combined with triggers.offlineCapabilityWanted, because a post-copy migration to a client whose link drops loses the VM',
  },
  {
    path: '.concurrency.maxPerClientNode',
    holds: (s) => (s.concurrency?.maxPerClientNode ?? 1) <= (s.concurrency?.maxPerPlacement ?? 3),
    message: 'concurrency.maxPerClientNode must not exceed concurrency.maxPerPlacement',
  },
  {
    path: '.clientBinding',
    holds: (s) => s.clientBinding === undefined || (s.clientBinding.labelKey !== undefined) !== (s.clientBinding.annotationKey !== undefined),
    message: 'set exactly one of clientBinding.labelKey and clientBinding.annotationKey',
  },
  {
    path: '.triggers',
    holds: (s) => s.triggers.offlineCapabilityWanted === true || s.triggers.cloudLatencyAbove !== undefined || s.triggers.cloudBandwidthBelow !== undefined,
    message: 'set at least one trigger (offlineCapabilityWanted, cloudLatencyAbove or cloudBandwidthBelow), or nothing would ever move',
  },
  {
    path: '.triggers.cloudLatencyAbove',
    holds: (s) => durationRule(s.triggers.cloudLatencyAbove, /^[0-9]+(\.[0-9]+)?(ms|s)$/, (x) => x > 0),
    message: 'expected a positive duration such as 40ms or 0.5s',
  },
  {
    path: '.thresholds.maxPredictedMigrationTime',
    holds: (s) => durationRule(s.thresholds?.maxPredictedMigrationTime, WHOLE_UNITS, (x) => x >= 10),
    message: 'expected a duration of at least 10s such as 900s, 15m or 1h',
  },
  {
    path: '.thresholds.maxDowntime',
    holds: (s) => durationRule(s.thresholds?.maxDowntime, /^[0-9]+(ms|s)$/, (x) => x >= 0.001 && x <= 2000),
    message: 'expected a duration between 1ms and 2000s such as 300ms',
  },
  { path: '.cooldown.base', holds: (s) => durationRule(s.cooldown?.base, WHOLE_UNITS), message: 'expected a duration such as 600s, 10m or 4h' },
  { path: '.cooldown.max', holds: (s) => durationRule(s.cooldown?.max, WHOLE_UNITS), message: 'expected a duration such as 600s, 10m or 4h' },
  {
    path: '.cooldown.max',
    holds: (s) => seconds(s.cooldown?.max ?? '4h') >= seconds(s.cooldown?.base ?? '10m'),
    message: 'cooldown.max must be at least cooldown.base',
  },
  {
    path: '.linkMaxAge',
    holds: (s) => durationRule(s.linkMaxAge, WHOLE_UNITS, (x) => x >= 10),
    message: 'expected a duration of at least 10s such as 600s or 10m',
  },
];

/** Throws a ScenarioError at `specPath` + the rule's field for the first rule the spec breaks. */
export function checkPlacementRules(spec: OfflineFirstPlacementSpec, specPath: string): void {
  for (const rule of RULES) {
    if (!rule.holds(spec)) throw new ScenarioError(`${specPath}${rule.path}`, rule.message);
  }
}
