/**
 * `offline-first demo`: the lab room on a real local control plane. Starts kube-apiserver and etcd,
 * installs the CRDs, starts the simulated KubeVirt (time-scaled, so migrations take seconds),
 * creates the scenario's nodes, VMIs and placement through the API, runs the operator in this
 * process and shows a live view until Ctrl-C or --duration; after --leave-after seconds the clients
 * announce their departure and the VMs go home. Everything is torn down at the end.
 */
import { ControlPlane } from '../controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../controlplane/crds.js';
import { KubeClient } from '../kube/client.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../kube/placement.js';
import { Resources } from '../kube/resources.js';
import { Operator } from '../operator/operator.js';
import { renderLiveView } from '../sim/demo/live-view.js';
import { announceDepartures, applyScenario, disconnectClients, refreshLinks } from '../sim/demo/setup.js';
import { SimulatedKubevirt } from '../sim/kubevirt/simulated-kubevirt.js';
import { BUILTIN_SCENARIOS } from '../sim/scenario/builtin/index.js';
import { builtinScenario } from '../sim/scenario/load.js';
import { shippedParseOptions } from '../sim/scenario/shipped-crd.js';
import type { Scenario } from '../sim/scenario/types.js';
import { integerFlag, parseCommandFlags, UsageError, type FlagSpecs } from './flags.js';
import { stopSignal } from './log.js';

const USAGE = `Usage: offline-first demo [--duration SECONDS] [--leave-after SECONDS|never] [flags]

Starts a local control plane (the first run builds kube-apiserver and etcd, which takes minutes),
the simulated KubeVirt and the operator, creates the lab room (24 workstations, their students'
VMs, the placement) and shows what happens, refreshing every second. The clients announce their
departure after --leave-after seconds (default 45) and leave a minute later; the operator brings
the VMs home first. Ctrl-C (or --duration) stops and removes everything.`;

const specs: FlagSpecs = {
  duration: { kind: 'string', value: 'SECONDS', help: 'stop after this many seconds (default: run until Ctrl-C)' },
  'leave-after': { kind: 'string', value: 'SECONDS', help: 'when the clients announce they leave in a minute (default 45; "never" to keep them)' },
  'ms-per-sim-second': { kind: 'string', value: 'N', help: 'real milliseconds per simulated second of a migration (default 200)' },
  scenario: { kind: 'string', value: 'NAME', help: `the built-in scenario to create (default lab-room; ${Object.keys(BUILTIN_SCENARIOS).join(', ')})` },
  help: { kind: 'boolean', help: 'show this help' },
};

const DEPARTURE_NOTICE_MS = 60_000;
const LINK_REFRESH_MS = 60_000;
const REFRESH_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function commandsFor(kubeconfig: string, scenario: Scenario): string {
  const ns = [...new Set(scenario.vms.map((v) => v.namespace))][0] ?? 'default';
  return [
    `kubeconfig: ${kubeconfig}`,
    `  export KUBECONFIG=${kubeconfig}`,
    '  kubectl get ofp -A',
    `  kubectl get vmis -n ${ns} -o wide`,
    `  kubectl get vmims -n ${ns}`,
    `  kubectl get events -n ${ns} --sort-by=.lastTimestamp`,
    `  npx offline-first plan --kubeconfig ${kubeconfig} --namespace ${ns}`,
  ].join('\n');
}

interface Phases {
  announceAtMs?: number;
  departAtMs?: number;
  announced: boolean;
  departed: boolean;
}

function note(p: Phases, now: number): string | undefined {
  if (p.departed) return 'the clients have left; VMs still on them would run offline';
  if (p.announced && p.departAtMs !== undefined) return `the clients announced they leave in ${Math.max(0, Math.round((p.departAtMs - now) / 1000))} s: the VMs go home first`;
  if (p.announceAtMs !== undefined) return `the clients announce their departure in ${Math.max(0, Math.round((p.announceAtMs - now) / 1000))} s`;
  return undefined;
}

export async function run(args: readonly string[]): Promise<number> {
  const flags = parseCommandFlags(args, specs, USAGE);
  if (!flags) return 0;
  const durationS = flags.strings.has('duration') ? integerFlag(flags, 'duration', 0, 1, 86_400) : undefined;
  const leaveText = flags.strings.get('leave-after') ?? '45';
  const leaveAfterS = leaveText === 'never' ? undefined : integerFlag(flags, 'leave-after', 45, 0, 86_400);
  const scale = integerFlag(flags, 'ms-per-sim-second', 200, 1, 10_000);
  const name = flags.strings.get('scenario') ?? 'lab-room';
  if (!BUILTIN_SCENARIOS[name]) throw new UsageError(`--scenario: no built-in scenario "${name}" (there are ${Object.keys(BUILTIN_SCENARIOS).join(', ')})`);
  const scenario = builtinScenario(name, shippedParseOptions());

  // Ctrl-C or SIGTERM ends the run: the loop stops at once and everything is torn down.
  let stopping = false;
  const stopped = stopSignal().then(() => {
    stopping = true;
  });
  const err = (line: string): boolean => process.stderr.write(`${line}\n`);
  err('starting a local control plane (the first run builds kube-apiserver and etcd from the Go module proxy)...');
  const plane = await ControlPlane.start({ onProgress: (line) => err(`  ${line}`) });
  let kubevirt: SimulatedKubevirt | undefined;
  let operator: Operator | undefined;
  const recentLogs: string[] = [];
  try {
    const client = KubeClient.load(plane.kubeconfigPath);
    await installCrds(client, [projectCrdDir, kubevirtSimCrdDir]);
    kubevirt = await SimulatedKubevirt.start(client, {
      ca: plane.ca,
      realMsPerSimSecond: scale,
      parallelMigrationsPerCluster: scenario.kubevirt.parallelMigrationsPerCluster,
      parallelOutboundMigrationsPerNode: scenario.kubevirt.parallelOutboundMigrationsPerNode,
    });
    await applyScenario(client, scenario, { nowMs: Date.now() });
    operator = new Operator(client, {
      identity: `demo-${process.pid}`,
      resyncMs: 2000,
      timeScale: scale / 1000,
      log: (msg, fields) => {
        recentLogs.push(`${msg}${fields?.vm ? ` ${String(fields.vm)}` : ''}${fields?.target ? ` -> ${String(fields.target)}` : ''}`);
        recentLogs.splice(0, Math.max(0, recentLogs.length - 4));
      },
    });
    await operator.start();
    const commands = commandsFor(plane.kubeconfigPath, scenario);
    err(`\n${commands}\n`);

    const startedAt = Date.now();
    const phases: Phases = { announced: false, departed: false, ...(leaveAfterS !== undefined ? { announceAtMs: startedAt + leaveAfterS * 1000 } : {}) };
    let linksAt = startedAt;
    let printedAt = 0;
    const namespaces = [...new Set(scenario.vms.map((v) => v.namespace))];
    while (!stopping && (durationS === undefined || Date.now() - startedAt < durationS * 1000)) {
      const now = Date.now();
      if (phases.announceAtMs !== undefined && !phases.announced && now >= phases.announceAtMs) {
        phases.departAtMs = now + DEPARTURE_NOTICE_MS;
        await announceDepartures(client, scenario, phases.departAtMs);
        phases.announced = true;
      }
      if (phases.departAtMs !== undefined && !phases.departed && now >= phases.departAtMs) {
        await disconnectClients(client, scenario, now);
        phases.departed = true;
      }
      if (now - linksAt >= LINK_REFRESH_MS && !phases.departed) {
        await refreshLinks(client, scenario, now);
        linksAt = now;
      }
      const [placements, migrations, vmis] = await Promise.all([
        Promise.all(namespaces.map((ns) => client.list<OfflineFirstPlacement>(Resources.placement, ns))),
        Promise.all(namespaces.map((ns) => client.list<VirtualMachineInstanceMigration>(Resources.migration, ns))),
        Promise.all(namespaces.map((ns) => client.list<VirtualMachineInstance>(Resources.vmi, ns))),
      ]);
      const view = renderLiveView({
        title: `offline-first demo: ${scenario.name}`,
        elapsedMs: now - startedAt,
        scenario,
        placements: placements.flatMap((l) => l.items),
        migrations: migrations.flatMap((l) => l.items),
        vmis: vmis.flatMap((l) => l.items),
        ...(note(phases, now) ? { note: note(phases, now)! } : {}),
      });
      const logs = recentLogs.length > 0 ? `\noperator: ${recentLogs.join('\n          ')}\n` : '';
      if (process.stdout.isTTY) process.stdout.write(`\x1b[H\x1b[2J${view}${logs}\n${commands}\n`);
      else if (now - printedAt >= 5000) {
        process.stdout.write(`${view}\n`);
        printedAt = now;
      }
      await Promise.race([sleep(REFRESH_MS), stopped]);
    }
  } finally {
    err('stopping: operator, simulated KubeVirt, control plane...');
    await operator?.stop().catch(() => undefined);
    await kubevirt?.stop().catch(() => undefined);
    await plane.stop();
    err('stopped; everything removed');
  }
  return 0;
}
