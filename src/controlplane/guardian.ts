/**
 * A detached watchdog for a control plane: when the process that owns it dies without tearing
 * down (SIGKILL, crash), the guardian stops the processes it was told about and removes the
 * throwaway directory, so nothing is left behind.
 *
 *   node guardian.js <ownerPid> <stateFile>
 * The state file holds JSON {"pids": number[], "dir": string}; the owner keeps it current and
 * deletes it after a clean teardown, which also ends the guardian.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { processAlive } from './process-alive.js';

const [ownerArg, stateFile] = process.argv.slice(2);
const owner = Number(ownerArg);


function readState(): { pids: number[]; dir: string } | undefined {
  try {
    return JSON.parse(readFileSync(stateFile!, 'utf8')) as { pids: number[]; dir: string };
  } catch {
    return undefined;
  }
}

async function reap(state: { pids: number[]; dir: string }): Promise<void> {
  for (const pid of state.pids) if (processAlive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (state.pids.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of state.pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(state.dir, { recursive: true, force: true });
}

const timer = setInterval(() => {
  if (!stateFile || !existsSync(stateFile)) {
    clearInterval(timer);
    return;
  }
  if (processAlive(owner)) return;
  clearInterval(timer);
  const state = readState();
  if (state) void reap(state);
}, 500);
