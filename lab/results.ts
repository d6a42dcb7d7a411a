/**
 * The JSON-lines results file: one record per run, appended; resuming skips ids already there.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunRecord } from './run.js';

/** Ids of runs that produced a measurement; runs that broke (an `error` field) are tried again. */
export async function recordedIds(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return new Set();
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<RunRecord>;
      if (r.id && !r.error) ids.add(r.id);
    } catch {
      // A line cut short by a hard kill: that run is simply done again.
    }
  }
  return ids;
}

export async function appendRecord(path: string, record: RunRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, JSON.stringify(record) + '\n');
}
