/** The machine line every benchmark prints with its figures: CPU, cores, memory, Node, load average. */
import os from 'node:os';

const GiB = 2 ** 30;

export function machineLine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return (
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical cores (os.availableParallelism ${os.availableParallelism()}), ` +
    `${Math.round(os.totalmem() / GiB)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}; load average ${load}`
  );
}
