/**
 * One lab at a time: two grids on a 2-core machine would skew each other's numbers and fight
 * over the fixed namespace names. A second run waits for the first instead of failing.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../src/controlplane/process-alive.js';

const LOCK = '/tmp/offline-first-lab.lock';
const POLL_MS = 2000;


function holder(): number | undefined {
  try {
    return Number(readFileSync(LOCK, 'utf8').trim()) || undefined;
  } catch {
    return undefined; // released meanwhile
  }
}

/** Takes the lock, waiting while a live process holds it; returns the release function. */
export async function acquireLabLock(onWait: (holderPid: number) => void): Promise<() => void> {
  let told = false;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const pid = holder();
      if (pid !== undefined && pid !== process.pid && processAlive(pid)) {
        if (!told) onWait(pid);
        told = true;
        await sleep(POLL_MS);
      } else if (pid !== undefined) {
        rmSync(LOCK, { force: true }); // left by a process that is gone
      }
    }
  }
  return () => {
    if (holder() === process.pid) rmSync(LOCK, { force: true });
  };
}
