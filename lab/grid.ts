/**
 * The lab's grids. QUICK is a few-minute smoke of the three regimes the cost model must tell
 * apart (converging LAN, converging WAN, non-converging WAN). FULL reproduces the original
 * experiment: a 2 GB, 1 vCPU VM over 1 Gbit/s and 37 Mbit/s with RAM load 0/25/50/80 % and CPU
 * load 0/25/50/80/100 %, plus stress-ng-like memory hammers.
 */
import type { DirtyRateWindow } from './dirty-rate.js';
import type { LinkSpec } from './network.js';
import type { RunConfig } from './run.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const LAN: LinkSpec = { name: 'lan', rate: '1gbit', rateBitsPerSecond: 1e9, burst: '1mb', latency: '10ms' };
export const WAN: LinkSpec = { name: 'wan', rate: '37mbit', rateBitsPerSecond: 37e6, burst: '32kb', latency: '50ms' };

/** QEMU's default downtime limit, which KubeVirt keeps. */
const DOWNTIME_LIMIT_MS = 300;
/** "Unlimited" as libvirt/KubeVirt set it, so only the link (or the CPU) limits throughput. */
const MAX_BANDWIDTH = 10 * GiB;

/** KubeVirt's completion budget: 150 s per started decimal GB of guest memory. */
export function kubevirtBoundSeconds(memoryMiB: number): number {
  return 150 * Math.ceil((memoryMiB * MiB) / 1e9);
}

const repeat = (times: number, window: DirtyRateWindow): DirtyRateWindow[] => Array.from({ length: times }, () => window);

/**
 * Many readings, as the operator gets them from KubeVirt's gauge over time: single readings are
 * very noisy (a 1 s window at 512 samples/GiB sees about one dirty sample for 2 MiB/s in a 2 GiB
 * guest), and QEMU truncates each to whole MiB/s. KubeVirt's own window (1 s, 512 samples/GiB),
 * the densest sampling QEMU allows (16384/GiB) at 1 s, and 5 s windows that show the working set
 * saturating. The runs recorded before this protocol carry five windows (1, 2, 5 s at 512; 1, 5 s
 * at 16384); each record names its own.
 */
const FULL_WINDOWS: DirtyRateWindow[] = [
  ...repeat(10, { calcTimeSeconds: 1, samplePages: 512 }),
  ...repeat(10, { calcTimeSeconds: 1, samplePages: 16384 }),
  ...repeat(3, { calcTimeSeconds: 5, samplePages: 16384 }),
];
const QUICK_WINDOWS: DirtyRateWindow[] = [
  ...repeat(5, { calcTimeSeconds: 1, samplePages: 512 }),
  ...repeat(10, { calcTimeSeconds: 1, samplePages: 16384 }),
  ...repeat(2, { calcTimeSeconds: 5, samplePages: 16384 }),
];

type Point = Pick<RunConfig, 'id' | 'memoryMiB' | 'wssBytes' | 'dirtyRateBytesPerSecond' | 'pattern' | 'cpuLoadPercent' | 'link'> & {
  readonly boundSeconds?: number;
};

function config(p: Point, windows: readonly DirtyRateWindow[]): RunConfig {
  const kubevirt = kubevirtBoundSeconds(p.memoryMiB);
  return {
    ...p,
    downtimeLimitMs: DOWNTIME_LIMIT_MS,
    maxBandwidthBytesPerSecond: MAX_BANDWIDTH,
    boundSeconds: p.boundSeconds ?? kubevirt,
    boundReason: p.boundSeconds === undefined ? 'kubevirt-completion-timeout' : `shortened for a quick run (KubeVirt: ${kubevirt} s)`,
    dirtyRateWindows: windows,
    linkProbeSeconds: 3,
    pollMs: 500,
  };
}

export function quickGrid(): RunConfig[] {
  const m = 512;
  const points: Point[] = [
    { id: 'quick-lan-w128M-r8M', memoryMiB: m, wssBytes: 128 * MiB, dirtyRateBytesPerSecond: 8 * MiB, pattern: 'random', cpuLoadPercent: 0, link: LAN },
    { id: 'quick-wan-idle', memoryMiB: m, wssBytes: 0, dirtyRateBytesPerSecond: 0, pattern: 'random', cpuLoadPercent: 0, link: WAN },
    { id: 'quick-wan-w32M-r512K', memoryMiB: m, wssBytes: 32 * MiB, dirtyRateBytesPerSecond: 512 * 1024, pattern: 'random', cpuLoadPercent: 0, link: WAN },
    // d (16 MiB/s) far above B (~4.4 MiB/s): pre-copy cannot converge; a short bound ends it.
    { id: 'quick-wan-w64M-r16M', memoryMiB: m, wssBytes: 64 * MiB, dirtyRateBytesPerSecond: 16 * MiB, pattern: 'random', cpuLoadPercent: 0, link: WAN, boundSeconds: 45 },
    { id: 'quick-lan-w128M-hammer', memoryMiB: m, wssBytes: 128 * MiB, dirtyRateBytesPerSecond: 'max', pattern: 'seq', cpuLoadPercent: 0, link: LAN, boundSeconds: 45 },
  ];
  return points.map((p) => config(p, QUICK_WINDOWS));
}

/** Dirty rate of the "RAM load" points: random pages within the working set. */
export const FULL_RAM_DIRTY_RATE = 2 * MiB;

export function fullGrid(): RunConfig[] {
  const m = 2048;
  const out: RunConfig[] = [];
  // LAN first: each run is short, so a time-bounded session covers the whole LAN half early.
  for (const link of [LAN, WAN]) {
    for (const ram of [0, 25, 50, 80]) {
      for (const cpu of [0, 25, 50, 80, 100]) {
        const wssBytes = Math.floor((m * MiB * ram) / 100 / 4096) * 4096;
        out.push(
          config(
            {
              id: `full-${link.name}-ram${ram}-cpu${cpu}`,
              memoryMiB: m,
              wssBytes,
              dirtyRateBytesPerSecond: ram === 0 ? 0 : FULL_RAM_DIRTY_RATE,
              pattern: 'random',
              cpuLoadPercent: cpu,
              link,
            },
            FULL_WINDOWS,
          ),
        );
      }
    }
  }
  for (const link of [LAN, WAN]) {
    out.push(
      config(
        { id: `full-${link.name}-ram25-hammer`, memoryMiB: m, wssBytes: 512 * MiB, dirtyRateBytesPerSecond: 'max', pattern: 'seq', cpuLoadPercent: 0, link },
        FULL_WINDOWS,
      ),
    );
  }
  return out;
}
