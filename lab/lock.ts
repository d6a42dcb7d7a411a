/**
 * One lab at a time: two grids on a 2-core machine would skew each other's numbers and fight
 * over the fixed namespace names.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const LOCK = '/tmp/offline-first-lab.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function acquireLabLock(): () => void {
  try {
    writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(LOCK, 'utf8').trim());
    if (holder && holder !== process.pid && alive(holder)) {
      throw new Error(`another lab run (pid ${holder}) holds ${LOCK}; wait for it or stop it first`);
    }
    writeFileSync(LOCK, String(process.pid)); // stale lock of a process that is gone
  }
  return () => {
    try {
      if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK);
    } catch {
      // Already gone.
    }
  };
}
