/**
 * The guest kernel and initramfs, prepared (or found ready) by lab/setup.sh.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { labSourceDir } from './paths.js';

export interface LabImages {
  readonly kernel: string;
  readonly initrd: string;
  /** `qemu-system-x86_64 --version`, first line. */
  readonly qemu: string;
}

/** Runs setup.sh (its notes and errors go straight to our stderr) and reads what it printed. */
export async function prepareImages(): Promise<LabImages> {
  const setup = spawn(`${labSourceDir}/setup.sh`, ['--print'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  setup.stdout.setEncoding('utf8');
  setup.stdout.on('data', (chunk: string) => (out += chunk));
  const [code] = (await once(setup, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`lab/setup.sh failed (exit ${code}); its message is above`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as LabImages;
}
