/**
 * Puts a scenario's cluster into a real API server for the demo: namespaces, nodes labelled as
 * KubeVirt labels them with the link annotations a link agent would publish, running VMIs with
 * their dirty-rate, guest-used and binding annotations, and the placements. Every client starts
 * connected (the scenario's sessions are a simulator notion); departures are announced by hand.
 */
import type { KubeClient } from '../../kube/client.js';
import { isAlreadyExists } from '../../kube/errors.js';
import { Annotations } from '../../observation/annotations.js';
import type { Node } from '../../kube/node.js';
import { Resources } from '../../kube/resources.js';
import { nodeFromFixture, putNode } from '../fixtures/nodes.js';
import { putVmi } from '../fixtures/vmis.js';
import { linkAnnotations, nodeFixtureOf, placementObject, vmiFixtureOf } from '../scenario/kube-objects.js';
import type { Scenario, ScenarioNode } from '../scenario/types.js';

export interface DemoSetupOptions {
  /** When the link measurements were taken (the wall clock: the operator checks their age). */
  readonly nowMs: number;
}

/** Label that marks the nodes of one isolated run (see isolateScenario). */
export const RUN_LABEL = 'demo.offline-first.io/run';

/**
 * The scenario for a cluster shared with others (tests): nodes renamed `<tag>-<name>` and labelled
 * with the run, the placements' node selectors narrowed to them, everything in one namespace.
 */
export function isolateScenario(scenario: Scenario, tag: string, namespace: string): Scenario {
  const rename = (name: string): string => `${tag}-${name}`;
  const narrowed = { matchLabels: { [RUN_LABEL]: tag } };
  return {
    ...scenario,
    nodes: scenario.nodes.map((n) => ({ ...n, name: rename(n.name), labels: { ...n.labels, [RUN_LABEL]: tag } })),
    vms: scenario.vms.map((vm) => ({
      ...vm,
      namespace,
      key: `${namespace}/${vm.name}`,
      startNode: rename(vm.startNode),
      ...(vm.client !== undefined ? { client: rename(vm.client) } : {}),
    })),
    placements: scenario.placements.map((p) => ({
      ...p,
      namespace,
      key: `${namespace}/${p.name}`,
      policy: { ...p.policy, key: `${namespace}/${p.name}` },
      spec: {
        ...p.spec,
        clientNodeSelector: { ...p.spec.clientNodeSelector, matchLabels: { ...p.spec.clientNodeSelector.matchLabels, ...narrowed.matchLabels } },
        homeNodeSelector: { ...p.spec.homeNodeSelector, matchLabels: { ...p.spec.homeNodeSelector.matchLabels, ...narrowed.matchLabels } },
      },
    })),
  };
}

function nodeObject(n: ScenarioNode, nowMs: number, extraAnnotations: Record<string, string> = {}): Node {
  return nodeFromFixture({ ...nodeFixtureOf(n), annotations: { ...linkAnnotations(n, nowMs), ...extraAnnotations } });
}

export async function applyScenario(client: KubeClient, scenario: Scenario, opts: DemoSetupOptions): Promise<void> {
  const namespaces = new Set([...scenario.vms.map((v) => v.namespace), ...scenario.placements.map((p) => p.namespace)]);
  for (const name of namespaces) {
    try {
      await client.create(Resources.namespace, { metadata: { name } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  for (const n of scenario.nodes) await putNode(client, nodeObject(n, opts.nowMs));
  for (const vm of scenario.vms) await putVmi(client, vmiFixtureOf(vm, scenario.placements));
  for (const p of scenario.placements) {
    const { metadata, ...rest } = placementObject(p, opts.nowMs);
    await client.create(Resources.placement, { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace } });
  }
}

/** A link agent's periodic measurement: fresh measured-at times on every client. */
export async function refreshLinks(client: KubeClient, scenario: Scenario, nowMs: number): Promise<void> {
  for (const n of scenario.nodes) {
    if (!n.link) continue;
    await client.mergePatch(Resources.node, undefined, n.name, { metadata: { annotations: linkAnnotations(n, nowMs) } });
  }
}

/** Every client announces that it leaves at `departureAtMs` (the offline-first.io/departure-time annotation). */
export async function announceDepartures(client: KubeClient, scenario: Scenario, departureAtMs: number): Promise<void> {
  for (const n of scenario.nodes) {
    if (n.role !== 'client') continue;
    await client.mergePatch(Resources.node, undefined, n.name, { metadata: { annotations: { [Annotations.departureTime]: new Date(departureAtMs).toISOString() } } });
  }
}

/** The clients are gone: Ready turns False, as when their kubelets stop posting status. */
export async function disconnectClients(client: KubeClient, scenario: Scenario, nowMs: number): Promise<void> {
  const at = new Date(nowMs).toISOString();
  for (const n of scenario.nodes) {
    if (n.role !== 'client') continue;
    const conditions = [{ type: 'Ready', status: 'False', reason: 'NodeStatusUnknown', message: 'the client left', lastHeartbeatTime: at, lastTransitionTime: at }];
    await client.mergePatch(Resources.node, undefined, n.name, { status: { conditions } }, 'status');
  }
}
