/**
 * The background process behind `offline-first cluster up`: serves the local cluster (serve.ts)
 * until SIGTERM or SIGINT, then removes everything it made, its log included.
 *   node daemon.js <stateDir> <options as JSON>
 * Writes <stateDir>/state.json when ready. Its output goes to <stateDir>/daemon.log.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { serveLocalCluster, type LocalClusterOptions } from './serve.js';

export type DaemonOptions = Omit<LocalClusterOptions, 'stateDir' | 'ownedFiles'>;

const [stateDir = '.cluster', optionsJson = '{}'] = process.argv.slice(2);
const options = JSON.parse(optionsJson) as DaemonOptions;
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

const stopRequested = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);

serveLocalCluster({ ...options, stateDir, ownedFiles: [join(stateDir, 'daemon.log')] }, stopRequested, log).catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
