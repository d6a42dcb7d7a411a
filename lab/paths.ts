/**
 * Where the lab's non-TypeScript parts live. The compiled runner runs from dist/lab/, the shell
 * scripts and results stay in the source tree's lab/.
 */
import { fileURLToPath } from 'node:url';

export const labSourceDir = fileURLToPath(new URL('../../lab', import.meta.url));
export const defaultResultsDir = `${labSourceDir}/results`;
