/**
 * One NodeLink per node, and a link agent writes only its own: the chart's ValidatingAdmissionPolicy,
 * its binding, the agent's ServiceAccount and RBAC, rendered with `helm template` exactly as they
 * ship, on a real API server. The agents authenticate as their pods would: with tokens bound to a
 * pod on each node, which carry the node's name (docs/link-record.md).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { installCrds, projectCrdDir } from '../../src/controlplane/crds.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { NodeLink } from '../../src/kube/node-link.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { resourcePath, Resources, type Resource } from '../../src/kube/resources.js';
import { helm, parseAll } from './chart-support.js';
import { adminClient, eventually, newNamespace, refusal } from './support.js';

const resource = (group: string, plural: string, kind: string, namespaced: boolean): Resource => ({ group, version: 'v1', plural, kind, namespaced });
/** What the chart renders for the link agent, by kind. */
const AGENT_KINDS: Record<string, Resource> = {
  ServiceAccount: resource('', 'serviceaccounts', 'ServiceAccount', true),
  ClusterRole: resource('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  ClusterRoleBinding: resource('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  ValidatingAdmissionPolicy: resource('admissionregistration.k8s.io', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false),
  ValidatingAdmissionPolicyBinding: resource('admissionregistration.k8s.io', 'validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false),
};

const NODE_NAME_KEY = 'authentication.kubernetes.io/node-name';

interface UserInfo {
  username: string;
  extra?: Record<string, string[]>;
}

describe('the link-record policy: a link agent writes only its own node\'s NodeLink', function () {
  this.timeout(60_000);
  const suffix = randomBytes(3).toString('hex');
  // Cluster-scoped names (nodes, policy, RBAC) are unique per run: the control plane is shared.
  const release = `nl-${suffix}`;
  const wsA = `ws-a-${suffix}`;
  const wsB = `ws-b-${suffix}`;
  let admin: KubeClient;
  let ns: string;
  let agentAccount: string;
  let policyName: string;
  let agentA: KubeClient;
  let agentB: KubeClient;
  const cleanup: (() => Promise<unknown>)[] = [];

  const nodeLink = (name: string, status?: NodeLink['status']): NodeLink => ({ metadata: { name }, ...(status ? { status } : {}) });
  const measured = (bandwidthBytesPerSecond: number) => ({ bandwidthBytesPerSecond, rttMs: 12, measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), probes: 1 });
  /** The API server's words for a refusal by the policy, then the policy's own (its messageExpression). */
  const deniedBy = (record: string, message: string) =>
    `nodelinks.placement.offline-first.io "${record}" is forbidden: ValidatingAdmissionPolicy '${policyName}' with binding '${policyName}' denied request: ${message}`;
  const policyRefusal = (operation: string, record: string, from: string) =>
    deniedBy(record, `${operation} of NodeLink ${record} refused: the request came from the link agent on node ${from}, which may write only NodeLink ${from}`);
  const noNodeRefusal = (operation: string, record: string) =>
    deniedBy(record, `${operation} of NodeLink ${record} refused: the request came from no node (its token names none); the link agent must use the token bound to its pod`);
  /** The policy's refusal: 403 Forbidden with its message, not RBAC's. */
  async function expectPolicyRefusal(request: Promise<unknown>, message: string): Promise<void> {
    const err = await refusal(request);
    expect(err.status, err.message).to.equal(403);
    expect(err.reason).to.equal('Forbidden');
    expect(err.body?.message).to.equal(message);
  }

  async function tokenFor(boundPod?: KubeObject): Promise<string> {
    const boundObjectRef = boundPod ? { kind: 'Pod', apiVersion: 'v1', name: boundPod.metadata.name, uid: boundPod.metadata.uid } : undefined;
    const r = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${agentAccount}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600, ...(boundObjectRef ? { boundObjectRef } : {}) } },
    });
    return r.status.token;
  }
  /** Who the API server takes the client for (`kubectl auth whoami`). */
  async function whoami(client: KubeClient): Promise<UserInfo> {
    const r = await client.request<{ status: { userInfo: UserInfo } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return r.status.userInfo;
  }
  async function agentPodOn(node: string): Promise<KubeObject> {
    return admin.create<KubeObject>(Resources.pod, {
      metadata: { name: `link-agent-${node}`, namespace: ns },
      spec: { serviceAccountName: agentAccount, nodeName: node, containers: [{ name: 'link-agent', image: 'offline-first:test' }] },
    } as KubeObject);
  }
  /** A client holding a token bound to a new agent pod on `node`, as the kubelet would mount it. */
  async function agentOn(node: string): Promise<KubeClient> {
    return admin.withBearerToken(await tokenFor(await agentPodOn(node)), `agent-${node}`);
  }

  before(async () => {
    admin = adminClient();
    await installCrds(admin, [projectCrdDir]);
    ns = await newNamespace(admin, 'link-record');
    const r = helm(['template', release, 'charts/offline-first', '--namespace', ns, '--set', 'linkAgent.enabled=true']);
    expect(r.status, `helm template failed:\n${r.stderr}`).to.equal(0);
    const rendered = parseAll(r.stdout).filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'link-agent' && o.kind in AGENT_KINDS);
    expect(rendered.map((o) => o.kind).sort()).to.deep.equal(Object.keys(AGENT_KINDS).sort());
    agentAccount = rendered.find((o) => o.kind === 'ServiceAccount')!.metadata.name!;
    policyName = rendered.find((o) => o.kind === 'ValidatingAdmissionPolicy')!.metadata.name!;
    for (const o of rendered) {
      const kind = AGENT_KINDS[o.kind]!;
      await admin.apply(kind, o, { fieldManager: 'offline-first-test' });
      if (!kind.namespaced) cleanup.push(() => admin.delete(kind, undefined, o.metadata.name!));
    }
    for (const node of [wsA, wsB]) {
      await admin.create(Resources.node, { metadata: { name: node } });
      cleanup.push(() => admin.delete(Resources.node, undefined, node));
      cleanup.push(() => admin.delete(Resources.nodeLink, undefined, node).catch(() => undefined));
    }
    agentA = await agentOn(wsA);
    agentB = await agentOn(wsB);
    // The policy is enforced once the API server has compiled it and seen its binding; until then
    // a write to another node's record would go through. A dry run changes nothing either way.
    await eventually('the policy to refuse agent A a dry-run create of node B\'s NodeLink', async () => {
      const err = await refusal(agentA.request('POST', resourcePath(Resources.nodeLink), { body: { apiVersion: 'placement.offline-first.io/v1alpha1', kind: 'NodeLink', ...nodeLink(wsB) }, query: { dryRun: 'All' } }));
      return err.body?.message?.includes(`ValidatingAdmissionPolicy '${policyName}'`) ? true : undefined;
    });
  });

  after(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
  });

  it('issues each agent pod a token that names its pod\'s node', async () => {
    for (const [client, node] of [[agentA, wsA], [agentB, wsB]] as const) {
      const user = await whoami(client);
      expect(user.username).to.equal(`system:serviceaccount:${ns}:${agentAccount}`);
      expect(user.extra?.[NODE_NAME_KEY]).to.deep.equal([node]);
      expect(user.extra?.['authentication.kubernetes.io/pod-name']).to.deep.equal([`link-agent-${node}`]);
    }
  });

  it('lets agent A create its node\'s NodeLink, write its status and update it', async () => {
    await agentA.create(Resources.nodeLink, nodeLink(wsA));
    const status = measured(4.625e6);
    await agentA.mergePatch(Resources.nodeLink, undefined, wsA, { status }, 'status');
    const current = await agentA.get<NodeLink>(Resources.nodeLink, undefined, wsA);
    await agentA.update(Resources.nodeLink, { ...current, metadata: { ...current.metadata, labels: { 'offline-first.io/pool': 'client' } } });
    const again = await agentA.get<NodeLink>(Resources.nodeLink, undefined, wsA);
    await agentA.update(Resources.nodeLink, { ...again, status: { ...again.status, probes: 2 } }, 'status');
    const stored = await admin.get<NodeLink>(Resources.nodeLink, undefined, wsA);
    expect(stored.status).to.deep.equal({ ...status, probes: 2 });
    expect(stored.metadata.labels).to.deep.equal({ 'offline-first.io/pool': 'client' });
  });

  it('refuses agent A creating node B\'s NodeLink, naming both nodes', async () => {
    await expectPolicyRefusal(agentA.create(Resources.nodeLink, nodeLink(wsB)), policyRefusal('CREATE', wsB, wsA));
    await expectPolicyRefusal(agentA.apply(Resources.nodeLink, nodeLink(wsB)), policyRefusal('CREATE', wsB, wsA));
    expect(await refusal(admin.get(Resources.nodeLink, undefined, wsB))).to.have.property('status', 404);
  });

  it('lets agent B write its own NodeLink', async () => {
    await agentB.create(Resources.nodeLink, nodeLink(wsB));
    await agentB.apply(Resources.nodeLink, nodeLink(wsB, measured(1.25e6)), { subresource: 'status' });
    expect((await admin.get<NodeLink>(Resources.nodeLink, undefined, wsB)).status?.bandwidthBytesPerSecond).to.equal(1.25e6);
  });

  it('refuses agent A updating node B\'s NodeLink or its status, by update, merge patch or apply, and leaves it as it was', async () => {
    // The agent may read any record (RBAC cannot tell them apart; reads are not the risk).
    const b = await agentA.get<NodeLink>(Resources.nodeLink, undefined, wsB);
    const lie = measured(1e9);
    await expectPolicyRefusal(agentA.update(Resources.nodeLink, { ...b, metadata: { ...b.metadata, labels: { forged: 'yes' } } }), policyRefusal('UPDATE', wsB, wsA));
    await expectPolicyRefusal(agentA.update(Resources.nodeLink, { ...b, status: lie }, 'status'), policyRefusal('UPDATE', wsB, wsA));
    await expectPolicyRefusal(agentA.mergePatch(Resources.nodeLink, undefined, wsB, { status: lie }, 'status'), policyRefusal('UPDATE', wsB, wsA));
    await expectPolicyRefusal(agentA.apply(Resources.nodeLink, nodeLink(wsB, lie), { subresource: 'status' }), policyRefusal('UPDATE', wsB, wsA));
    const stored = await admin.get<NodeLink>(Resources.nodeLink, undefined, wsB);
    expect(stored.status?.bandwidthBytesPerSecond).to.equal(1.25e6);
    expect(stored.metadata.resourceVersion).to.equal(b.metadata.resourceVersion);
  });

  it('refuses agent A deleting node B\'s NodeLink: RBAC grants no delete, and the policy holds should anyone grant it', async () => {
    const rbac = await refusal(agentA.delete(Resources.nodeLink, undefined, wsB));
    expect(rbac.status).to.equal(403);
    expect(rbac.body?.message).to.contain(`cannot delete resource "nodelinks" in API group "placement.offline-first.io"`);

    // A wider grant than the chart's, as a careless cluster role might give.
    const grant = `${release}-test-delete-nodelinks`;
    await admin.apply(AGENT_KINDS.ClusterRole!, { metadata: { name: grant }, rules: [{ apiGroups: ['placement.offline-first.io'], resources: ['nodelinks'], verbs: ['delete'] }] } as KubeObject, { fieldManager: 'offline-first-test' });
    cleanup.push(() => admin.delete(AGENT_KINDS.ClusterRole!, undefined, grant));
    await admin.apply(AGENT_KINDS.ClusterRoleBinding!, {
      metadata: { name: grant },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: grant },
      subjects: [{ kind: 'ServiceAccount', name: agentAccount, namespace: ns }],
    } as KubeObject, { fieldManager: 'offline-first-test' });
    cleanup.push(() => admin.delete(AGENT_KINDS.ClusterRoleBinding!, undefined, grant));
    const policy = await eventually('RBAC to let the agent delete, leaving the refusal to the policy', async () => {
      const err = await refusal(agentA.request('DELETE', resourcePath(Resources.nodeLink, undefined, wsB), { query: { dryRun: 'All' } }));
      return err.body?.message?.includes('cannot delete resource') ? undefined : err;
    });
    expect(policy.status).to.equal(403);
    expect(policy.body?.message).to.equal(policyRefusal('DELETE', wsB, wsA));
    await expectPolicyRefusal(agentA.delete(Resources.nodeLink, undefined, wsB), policyRefusal('DELETE', wsB, wsA));
    await admin.get(Resources.nodeLink, undefined, wsB);
    // The same grant lets an agent delete its own record.
    await agentA.request('DELETE', resourcePath(Resources.nodeLink, undefined, wsA), { query: { dryRun: 'All' } });
  });

  it('refuses a token of the agent\'s ServiceAccount that is not bound to a pod, whichever record it writes', async () => {
    const plain = admin.withBearerToken(await tokenFor(), 'agent-unbound');
    const user = await whoami(plain);
    expect(user.username).to.equal(`system:serviceaccount:${ns}:${agentAccount}`);
    expect(user.extra ?? {}).to.not.have.property(NODE_NAME_KEY);
    await expectPolicyRefusal(plain.create(Resources.nodeLink, nodeLink(`ws-c-${suffix}`)), noNodeRefusal('CREATE', `ws-c-${suffix}`));
    await expectPolicyRefusal(plain.mergePatch(Resources.nodeLink, undefined, wsA, { status: measured(1e9) }, 'status'), noNodeRefusal('UPDATE', wsA));
    await expectPolicyRefusal(plain.mergePatch(Resources.nodeLink, undefined, wsB, { status: measured(1e9) }, 'status'), noNodeRefusal('UPDATE', wsB));
  });

  it('trusts the pod\'s spec.nodeName: a pod on a node the API server does not know gets a token naming it, without its uid, and writes only that record', async () => {
    const ghost = `ws-gone-${suffix}`;
    const client = await agentOn(ghost);
    const user = await whoami(client);
    expect(user.extra?.[NODE_NAME_KEY]).to.deep.equal([ghost]);
    expect(user.extra ?? {}).to.not.have.property('authentication.kubernetes.io/node-uid');
    await expectPolicyRefusal(client.create(Resources.nodeLink, nodeLink(wsA)), policyRefusal('CREATE', wsA, ghost));
    await client.create(Resources.nodeLink, nodeLink(ghost));
    cleanup.push(() => admin.delete(Resources.nodeLink, undefined, ghost));
  });

  it('does not stand in the way of other users: an administrator writes any NodeLink', async () => {
    await admin.mergePatch(Resources.nodeLink, undefined, wsB, { metadata: { annotations: { 'example.com/checked': 'yes' } } });
  });
});
