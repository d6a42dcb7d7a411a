/** The placement engine's public face: planPlacements, its input and output types, the reason table. */
export { planPlacements } from './plan.js';
export { COST_REASONS, Reasons, type Reason, type RejectionReason } from './reasons.js';
export { DEFAULT_TUNING } from './tuning.js';
export { NodeLabels } from './node-labels.js';
export { cooldownSeconds } from './cooldown.js';
export { isOfflineCapable, NETWORK_VOLUME_KINDS } from './offline-capability.js';
export { COST_WEIGHTS } from './score.js';
export type * from './types.js';
