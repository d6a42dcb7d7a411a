/** Scenario parsing against the OfflineFirstPlacement CRD shipped with the project (crds/). */
import { projectCrdDir, readCrds } from '../../controlplane/crds.js';
import { placementSpecSchema } from './crd-schema.js';
import type { ParseOptions } from './parse-scenario.js';

const CRD_NAME = 'offlinefirstplacements.placement.offline-first.io';

export function shippedParseOptions(): ParseOptions {
  const crd = readCrds(projectCrdDir).find((c) => c.metadata.name === CRD_NAME);
  if (!crd) throw new Error(`the CRD ${CRD_NAME} is missing from ${projectCrdDir}`);
  return { placementSpecSchema: placementSpecSchema(crd) };
}
