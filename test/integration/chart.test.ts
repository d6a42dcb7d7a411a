/**
 * The Helm chart (charts/offline-first) and the static manifest rendered from it: lint and render
 * with several value sets, refusal of bad values, then a real `helm install` into the shared
 * control plane, whose RBAC is checked verb by verb with SubjectAccessReviews and end to end by
 * running the operator under the chart's ServiceAccount, and `helm uninstall`.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { OBSERVED_PHASE_ANNOTATION } from '../../src/controllers/migration/follower.js';
import { freePort } from '../../src/controlplane/ports.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { helm, parseAll, type Manifest } from './chart-support.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, controlPlane, eventually, newNamespace } from './support.js';

const chartDir = join(projectRoot, 'charts', 'offline-first');
const crdFiles = ['placement.offline-first.io_nodelinks.yaml', 'placement.offline-first.io_offlinefirstplacements.yaml'];

function render(valuesFile?: string, namespace = 'offline-first-system'): Manifest[] {
  const r = helm(['template', 'offline-first', 'charts/offline-first', '--namespace', namespace, ...(valuesFile ? ['-f', valuesFile] : [])]);
  expect(r.status, `helm template failed:\n${r.stderr}`).to.equal(0);
  return parseAll(r.stdout);
}

const one = (objs: Manifest[], kind: string, name?: string): Manifest => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found, `exactly one ${kind}${name ? ` ${name}` : ''}`).to.have.length(1);
  return found[0]!;
};
const kinds = (objs: Manifest[]) => objs.map((o) => o.kind).sort();
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Namespace', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

/** The operator's own objects, apart from the link agent's and the reflector's. */
const operatorObjects = (objs: Manifest[]) => objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'operator');

/** What every rendering must hold: namespaced objects carry the namespace, the operator pod is locked down. */
function expectWellFormed(objs: Manifest[], namespace: string): void {
  for (const o of objs) {
    if (!CLUSTER_SCOPED.has(o.kind) && o.kind !== 'ConfigMap') expect(o.metadata.namespace, `${o.kind} ${o.metadata.name} namespace`).to.equal(namespace);
  }
  const pod = one(operatorObjects(objs), 'Deployment').spec.template.spec;
  expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65532 });
  expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
  const c = pod.containers[0];
  expect(c.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  expect(c.securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
  expect(c.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
  const port = (name: string) => c.ports.find((p: { name: string }) => p.name === name).containerPort;
  expect(c.args).to.include.members(['run', `--metrics-port=${port('metrics')}`, `--health-port=${port('health')}`]);
  expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'health' });
  expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'health' });
  const env = Object.fromEntries(c.env.map((e: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  expect(env).to.include({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
  expect(c.resources.requests).to.have.keys('cpu', 'memory');
  const svc = one(operatorObjects(objs), 'Service');
  expect(svc.spec.ports[0].targetPort).to.equal('metrics');
  expect(pod.serviceAccountName).to.be.a('string').and.not.equal('');
}

describe('Helm chart charts/offline-first', function () {
  this.timeout(120_000);

  describe('lint and render', () => {
    const valueSets = readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();

    it('has value sets for monitoring, the link agent, a single replica, no leader election and the Prometheus source', () => {
      expect(valueSets).to.include.members(['monitoring-values.yaml', 'link-agent-values.yaml', 'single-replica-values.yaml', 'no-leader-election-values.yaml', 'prometheus-source-values.yaml']);
    });

    for (const set of [undefined, ...valueSets]) {
      it(`passes helm lint --strict with ${set ?? 'the default values'}`, () => {
        const r = helm(['lint', '--strict', 'charts/offline-first', ...(set ? ['-f', join('charts/offline-first/ci', set)] : [])]);
        expect(r.status, `helm lint failed:\n${r.stdout}${r.stderr}`).to.equal(0);
        expect(r.stdout).to.contain('0 chart(s) failed');
      });
    }

    it('renders the operator with defaults: 2 replicas under leader election, RBAC, metrics Service, PDB, no optional objects', () => {
      const objs = render();
      expectWellFormed(objs, 'offline-first-system');
      expect(kinds(objs)).to.deep.equal(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
      const d = one(objs, 'Deployment');
      expect(d.spec.replicas).to.equal(2);
      const c = d.spec.template.spec.containers[0];
      expect(c.image).to.equal('offline-first:0.1.0');
      expect(c.args).to.include.members(['--leader-elect', '--leader-election-namespace=offline-first-system']);
      expect(one(objs, 'PodDisruptionBudget').spec.minAvailable).to.equal(1);
      expect(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels).to.deep.equal(d.spec.selector.matchLabels);
      expect(one(objs, 'Service').spec.selector).to.deep.equal(d.spec.selector.matchLabels);
      const role = one(objs, 'Role');
      expect(role.rules!.flatMap((r) => r.resources)).to.deep.equal(['leases', 'leases']);
      expect(one(objs, 'RoleBinding').subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'offline-first', namespace: 'offline-first-system' }]);
      expect(one(objs, 'ClusterRoleBinding').subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'offline-first', namespace: 'offline-first-system' }]);
    });

    it('renders ServiceMonitor, PrometheusRule (the alerts of monitoring/alerts.rules.yaml) and the dashboard ConfigMap with monitoring on', () => {
      const objs = render('charts/offline-first/ci/monitoring-values.yaml');
      expectWellFormed(objs, 'offline-first-system');
      const svc = one(objs, 'Service');
      const sm = one(objs, 'ServiceMonitor');
      expect(sm.apiVersion).to.equal('monitoring.coreos.com/v1');
      expect(svc.metadata.labels).to.include(sm.spec.selector.matchLabels);
      expect(sm.spec.endpoints[0]).to.deep.include({ port: 'metrics', path: '/metrics', interval: '15s' });
      expect(sm.spec.endpoints[0].relabelings).to.deep.include({ action: 'replace', targetLabel: 'job', replacement: 'offline-first' });
      expect(sm.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
      const rule = one(objs, 'PrometheusRule');
      expect(rule.spec).to.deep.equal(yaml.load(readFileSync(join(projectRoot, 'monitoring', 'alerts.rules.yaml'), 'utf8')));
      const cm = one(objs, 'ConfigMap');
      expect(cm.metadata.namespace).to.equal('monitoring');
      expect(cm.metadata.labels).to.include({ grafana_dashboard: '1' });
      expect(cm.metadata.annotations).to.include({ grafana_folder: 'KubeVirt' });
      expect(JSON.parse(cm.data!['offline-first.json']!)).to.deep.equal(JSON.parse(readFileSync(join(projectRoot, 'monitoring', 'dashboard.json'), 'utf8')));
      expect(one(objs, 'Deployment').spec.template.metadata.annotations).to.include({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' });
    });

    it('renders the link agent DaemonSet on client nodes only when enabled, with its own ServiceAccount', () => {
      expect(render().filter((o) => o.kind === 'DaemonSet')).to.be.empty;
      const objs = render('charts/offline-first/ci/link-agent-values.yaml');
      expectWellFormed(objs, 'offline-first-system');
      const ds = one(objs, 'DaemonSet');
      const pod = ds.spec.template.spec;
      expect(pod.nodeSelector).to.deep.equal({ 'offline-first.io/pool': 'client', 'kubernetes.io/os': 'linux' });
      expect(pod.containers[0].args).to.deep.equal([
        'agent',
        '--reflector=offline-first-reflector.offline-first-system.svc:7480',
        '--interval=2m',
        '--probe-bytes=8Mi',
        '--probe-seconds=3s',
      ]);
      expect(pod.containers[0].env).to.deep.include({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      expect(pod.containers[0].securityContext).to.deep.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.containers[0].securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
      expect(pod.hostNetwork).to.equal(undefined);
      expect(pod.automountServiceAccountToken).to.equal(true);
      expect(pod.serviceAccountName).to.equal('offline-first-link-agent');
      one(objs, 'ServiceAccount', 'offline-first-link-agent');
    });

    it('renders the reflector as its own Deployment and Service, without API access, unless the agents probe another', () => {
      expect(render().filter((o) => o.metadata.name === 'offline-first-reflector')).to.be.empty;
      const objs = render('charts/offline-first/ci/link-agent-values.yaml');
      const d = one(objs, 'Deployment', 'offline-first-reflector');
      const pod = d.spec.template.spec;
      expect(d.spec.replicas).to.equal(3);
      expect(pod.automountServiceAccountToken).to.equal(false);
      expect(pod.nodeSelector).to.deep.equal({ 'offline-first.io/pool': 'cloud' });
      expect(pod.containers[0].args).to.deep.equal(['reflector', '--port=7480', '--max-concurrent=8', '--max-probe-bytes=64Mi', '--max-probe-seconds=5s']);
      expect(pod.containers[0].securityContext).to.deep.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      const svc = one(objs, 'Service', 'offline-first-reflector');
      expect(svc.spec.selector).to.deep.equal(d.spec.selector.matchLabels);
      expect(svc.spec.ports).to.deep.equal([{ name: 'probe', port: 7480, targetPort: 'probe', protocol: 'TCP' }]);
      const own = helm(['template', 'offline-first', 'charts/offline-first', '-f', 'charts/offline-first/ci/link-agent-values.yaml', '--set', 'linkAgent.reflectorAddress=dc1.example.com:7480']);
      expect(own.status, own.stderr).to.equal(0);
      const objsOwn = parseAll(own.stdout);
      expect(objsOwn.filter((o) => o.metadata.name === 'offline-first-reflector')).to.be.empty;
      expect(one(objsOwn, 'DaemonSet').spec.template.spec.containers[0].args).to.include('--reflector=dc1.example.com:7480');
    });

    it('lets the link agent write NodeLinks and nothing else, and holds it to its own node\'s record with a ValidatingAdmissionPolicy', () => {
      const agentObjects = (objs: Manifest[]) => objs.filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(o.kind) && o.metadata.labels?.['app.kubernetes.io/component'] === 'link-agent');
      expect(agentObjects(render())).to.be.empty;
      const objs = render('charts/offline-first/ci/link-agent-values.yaml');
      const agent = { kind: 'ServiceAccount', name: 'offline-first-link-agent', namespace: 'offline-first-system' };
      const bindings = objs.filter((o) => o.subjects?.some((s) => s.name === agent.name));
      expect(bindings.map((b) => `${b.kind} ${b.metadata.name}`)).to.deep.equal(['ClusterRoleBinding offline-first-link-agent']);
      expect(bindings[0]!.subjects).to.deep.equal([agent]);
      expect(bindings[0]!.roleRef).to.deep.include({ kind: 'ClusterRole', name: 'offline-first-link-agent' });
      expect(one(objs, 'ClusterRole', 'offline-first-link-agent').rules).to.deep.equal([
        { apiGroups: ['placement.offline-first.io'], resources: ['nodelinks'], verbs: ['get', 'create', 'update', 'patch'] },
        { apiGroups: ['placement.offline-first.io'], resources: ['nodelinks/status'], verbs: ['get', 'update', 'patch'] },
      ]);
      const policy = one(objs, 'ValidatingAdmissionPolicy', 'offline-first-link-record');
      expect(policy.apiVersion).to.equal('admissionregistration.k8s.io/v1');
      expect(policy.spec.failurePolicy).to.equal('Fail');
      expect(policy.spec.matchConstraints.resourceRules).to.deep.equal([
        { apiGroups: ['placement.offline-first.io'], apiVersions: ['*'], resources: ['nodelinks', 'nodelinks/status'], operations: ['CREATE', 'UPDATE', 'DELETE'] },
      ]);
      expect(policy.spec.matchConditions).to.deep.equal([{ name: 'link-agent-only', expression: "request.userInfo.username == 'system:serviceaccount:offline-first-system:offline-first-link-agent'" }]);
      expect(one(objs, 'ValidatingAdmissionPolicyBinding', 'offline-first-link-record').spec).to.deep.equal({ policyName: 'offline-first-link-record', validationActions: ['Deny'] });
      // Without RBAC objects (rbac.create=false) the policy still ships: it is the agent's fence, not its grant.
      const noRbac = helm(['template', 'offline-first', 'charts/offline-first', '-f', 'charts/offline-first/ci/link-agent-values.yaml', '--set', 'rbac.create=false']);
      expect(noRbac.status, noRbac.stderr).to.equal(0);
      expect(kinds(agentObjects(parseAll(noRbac.stdout)))).to.deep.equal(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    });

    it('renders one replica without a PDB (it would block drains) but still under leader election', () => {
      const objs = render('charts/offline-first/ci/single-replica-values.yaml');
      expectWellFormed(objs, 'offline-first-system');
      expect(objs.filter((o) => o.kind === 'PodDisruptionBudget')).to.be.empty;
      const d = one(objs, 'Deployment');
      expect(d.spec.replicas).to.equal(1);
      const pod = d.spec.template.spec;
      expect(pod.containers[0].image).to.equal('registry.example.com/platform/offline-first:0.1.0-rc.1');
      expect(pod.containers[0].imagePullPolicy).to.equal('Always');
      expect(pod.containers[0].resources).to.deep.equal({ requests: { cpu: '20m', memory: '96Mi' }, limits: { cpu: '1', memory: '1Gi' } });
      expect(pod.containers[0].args).to.include.members(['--leader-elect', '--resync-seconds=60']);
      expect(pod.imagePullSecrets).to.deep.equal([{ name: 'regcred' }]);
      expect(pod.priorityClassName).to.equal('system-cluster-critical');
      one(objs, 'Role');
    });

    it('renders without leader election: no --leader-elect, no Lease Role, an existing ServiceAccount, other ports and names', () => {
      const objs = render('charts/offline-first/ci/no-leader-election-values.yaml');
      expectWellFormed(objs, 'offline-first-system');
      expect(kinds(objs)).to.deep.equal(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service']);
      const d = one(objs, 'Deployment', 'vm-placement');
      const c = d.spec.template.spec.containers[0];
      expect(c.args).to.not.include('--leader-elect');
      expect(c.args).to.include.members(['--metrics-port=9090', '--health-port=9091']);
      expect(d.spec.template.spec.serviceAccountName).to.equal('platform-operators');
      expect(one(objs, 'ClusterRoleBinding').subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'platform-operators', namespace: 'offline-first-system' }]);
      expect(one(objs, 'Service').spec.ports[0].port).to.equal(9090);
    });

    it('renders the Prometheus source: its flags, a projected token and the CA from a Secret, only when a URL is set', () => {
      const args = (objs: Manifest[]): string[] => one(objs, 'Deployment').spec.template.spec.containers[0].args;
      expect(args(render()).filter((a) => a.startsWith('--prometheus'))).to.be.empty;
      const objs = render('charts/offline-first/ci/prometheus-source-values.yaml');
      expectWellFormed(objs, 'offline-first-system');
      const pod = one(objs, 'Deployment').spec.template.spec;
      expect(args(objs)).to.include.members([
        '--prometheus-url=https://prometheus-k8s.monitoring.svc:9091',
        '--prometheus-timeout=3s',
        '--prometheus-window=15m',
        '--prometheus-interval=1m',
        '--prometheus-bearer-token-file=/var/run/secrets/offline-first/prometheus-token/token',
        '--prometheus-ca-file=/etc/offline-first/prometheus-ca/ca.crt',
      ]);
      const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
      expect(volumes['prometheus-token'].projected.sources).to.deep.equal([{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'prometheus' } }]);
      expect(volumes['prometheus-ca'].secret).to.deep.equal({ secretName: 'prometheus-serving-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
      const mounts = pod.containers[0].volumeMounts.map((m: { name: string; mountPath: string; readOnly?: boolean }) => `${m.name}:${m.mountPath}:${m.readOnly ?? false}`);
      expect(mounts).to.include.members(['prometheus-token:/var/run/secrets/offline-first/prometheus-token:true', 'prometheus-ca:/etc/offline-first/prometheus-ca:true']);
    });

    const refusals: [string, string[], string][] = [
      ['zero replicas', ['replicaCount=0'], "at '/replicaCount': minimum: got 0, want 1"],
      ['a misspelt key', ['linkAgent.enable=true'], "at '/linkAgent': additional properties 'enable' not allowed"],
      ['an unknown top-level key', ['replicas=3'], "additional properties 'replicas' not allowed"],
      ['an unknown pull policy', ['image.pullPolicy=Sometimes'], "at '/image/pullPolicy': value must be one of 'IfNotPresent', 'Always', 'Never'"],
      ['a port out of range', ['metrics.port=70000'], "at '/metrics/port': maximum: got 70,000, want 65,535"],
      ['a resync of 0 s', ['resyncSeconds=0'], "at '/resyncSeconds': minimum: got 0, want 1"],
      ['a number where a duration is due', ['serviceMonitor.interval=30'], "at '/serviceMonitor/interval': got number, want string"],
      ['a memory request that is not a quantity', ['resources.requests.memory=lots'], "at '/resources/requests/memory'"],
      ['two replicas without leader election', ['leaderElection.enabled=false'], 'replicaCount is 2 but leaderElection.enabled is false'],
      ['metrics and health on one port', ['metrics.port=8081'], 'metrics.port and health.port are both 8081'],
      ['a PDB that allows no disruption', ['podDisruptionBudget.minAvailable=2'], 'podDisruptionBudget.minAvailable (2) must be lower than replicaCount (2)'],
      ['no ServiceAccount at all', ['serviceAccount.create=false'], 'serviceAccount.name must name an existing ServiceAccount'],
      ['a Prometheus URL without a scheme', ['prometheus.url=prometheus:9090'], "at '/prometheus/url'"],
      ['a Prometheus window without a unit', ['prometheus.window=600'], "at '/prometheus/window'"],
      ['a Prometheus CA from both a Secret and a ConfigMap', ['prometheus.url=https://p:9091', 'prometheus.caSecret.name=a', 'prometheus.caConfigMap.name=b'], 'prometheus.caSecret.name and prometheus.caConfigMap.name are both set'],
    ];
    for (const [what, sets, message] of refusals) {
      it(`refuses ${what} with a message saying so`, () => {
        const r = helm(['template', 't', 'charts/offline-first', ...sets.flatMap((s) => ['--set', s])]);
        expect(r.status).to.not.equal(0);
        expect(r.stderr).to.contain(message);
      });
    }

    it('ships crds/ of the project unchanged', () => {
      expect(readdirSync(join(chartDir, 'crds'))).to.deep.equal(crdFiles);
      expect(readdirSync(join(projectRoot, 'crds')).filter((f) => f.endsWith('.yaml'))).to.deep.equal(crdFiles);
      for (const crdFile of crdFiles) {
        const shipped = readFileSync(join(chartDir, 'crds', crdFile), 'utf8');
        expect(shipped === readFileSync(join(projectRoot, 'crds', crdFile), 'utf8'), `the chart's CRD differs from crds/${crdFile}: run scripts/render-manifests.sh`).to.equal(true);
      }
    });

    it('matches manifests/offline-first.yaml: the static manifest is the chart rendered with default values', () => {
      const r = spawnSync(join(projectRoot, 'scripts', 'render-manifests.sh'), ['--stdout'], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HELM: controlPlane().tools.helm! } });
      expect(r.status, r.stderr).to.equal(0);
      const committed = readFileSync(join(projectRoot, 'manifests', 'offline-first.yaml'), 'utf8');
      expect(r.stdout === committed, 'manifests/offline-first.yaml is out of date: run scripts/render-manifests.sh').to.equal(true);
      const objs = parseAll(committed);
      expect(objs[0]).to.deep.include({ kind: 'Namespace' });
      expect(objs[0]!.metadata.name).to.equal('offline-first-system');
      expect(objs[1]!.kind).to.equal('CustomResourceDefinition');
      expectWellFormed(objs, 'offline-first-system');
    });
  });

  describe('installed into a real API server', () => {
    const release = 'offline-first';
    const releaseNs = `offline-first-${randomBytes(3).toString('hex')}`;
    const kubeconfig = () => controlPlane().kubeconfigPath;
    let client: KubeClient;
    let installed = false;

    before(() => {
      client = adminClient();
      const r = helm(['install', release, 'charts/offline-first', '--namespace', releaseNs, '--create-namespace', '--kubeconfig', kubeconfig()]);
      expect(r.status, `helm install failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      installed = true;
      expect(r.stdout).to.contain('STATUS: deployed');
      expect(r.stdout).to.contain('kubectl get ofp');
    });

    after(() => {
      // Leaves nothing behind if a test failed before the uninstall test ran.
      if (installed) helm(['uninstall', release, '--namespace', releaseNs, '--kubeconfig', kubeconfig()]);
    });

    const sa = () => ({ user: `system:serviceaccount:${releaseNs}:offline-first`, groups: ['system:serviceaccounts', `system:serviceaccounts:${releaseNs}`, 'system:authenticated'] });

    interface Access {
      verb: string;
      resource: Resource;
      namespace?: string;
      subresource?: string;
      name?: string;
    }
    async function allowed(a: Access): Promise<boolean> {
      const review = await client.create<KubeObject & { status?: { allowed: boolean } }>(Resources.subjectAccessReview, {
        metadata: {},
        spec: { ...sa(), resourceAttributes: { verb: a.verb, group: a.resource.group, version: a.resource.version, resource: a.resource.plural, subresource: a.subresource, namespace: a.namespace, name: a.name } },
      } as KubeObject);
      return review.status?.allowed === true;
    }
    async function allowedPath(verb: string, path: string): Promise<boolean> {
      const review = await client.create<KubeObject & { status?: { allowed: boolean } }>(Resources.subjectAccessReview, { metadata: {}, spec: { ...sa(), nonResourceAttributes: { verb, path } } } as KubeObject);
      return review.status?.allowed === true;
    }
    const describeAccess = (a: Access) => `${a.verb} ${a.resource.plural}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''} in ${a.namespace ?? 'all namespaces'}`;
    const secret: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
    const configMap: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
    const coreEvent: Resource = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
    const clusterRoleBinding: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false };
    const lease = 'offline-first-operator';

    it('allows the ServiceAccount every call the operator makes', async () => {
      const needed: Access[] = [
        ...['list', 'watch'].flatMap((verb) =>
          [Resources.placement, Resources.vmi, Resources.migration, Resources.node, Resources.kubevirt, Resources.migrationPolicy, Resources.namespace].map((resource) => ({ verb, resource })),
        ),
        ...['list', 'watch'].map((verb) => ({ verb, resource: Resources.vmi, namespace: 'lab' })),
        ...['get', 'list', 'watch'].map((verb) => ({ verb, resource: Resources.nodeLink })),
        { verb: 'patch', resource: Resources.placement, subresource: 'status', namespace: 'lab', name: 'room' },
        // The finalizer held while the placement's managed MigrationPolicy exists, and the policy itself.
        { verb: 'patch', resource: Resources.placement, namespace: 'lab', name: 'room' },
        ...['create', 'patch', 'delete'].map((verb) => ({ verb, resource: Resources.migrationPolicy, name: 'offline-first.lab.room' })),
        // The link-class label, before a migration of a placement with link classes.
        { verb: 'patch', resource: Resources.vmi, namespace: 'lab', name: 'vm-1' },
        { verb: 'create', resource: Resources.migration, namespace: 'lab' },
        { verb: 'patch', resource: Resources.migration, namespace: 'lab', name: 'vm-1-to-ws-1' },
        { verb: 'create', resource: Resources.event, namespace: 'lab' },
        { verb: 'create', resource: Resources.event, namespace: 'default' },
        { verb: 'create', resource: Resources.lease, namespace: releaseNs },
        { verb: 'get', resource: Resources.lease, namespace: releaseNs, name: lease },
        { verb: 'update', resource: Resources.lease, namespace: releaseNs, name: lease },
      ];
      const refused: string[] = [];
      for (const a of needed) if (!(await allowed(a))) refused.push(describeAccess(a));
      expect(refused, 'calls the operator makes but its ServiceAccount may not').to.deep.equal([]);
      for (const path of ['/version', '/apis/kubevirt.io/v1', '/apis/migrations.kubevirt.io/v1alpha1', '/apis/placement.offline-first.io/v1alpha1']) {
        expect(await allowedPath('get', path), `GET ${path}`).to.equal(true);
      }
    });

    it('denies the ServiceAccount Secrets, deletes, Node and VMI writes, spec writes and Leases elsewhere', async () => {
      const forbidden: Access[] = [
        ...['get', 'list', 'watch'].flatMap((verb) => [{ verb, resource: secret }, { verb, resource: secret, namespace: releaseNs }]),
        ...['create', 'update', 'delete', 'deletecollection'].map((verb) => ({ verb, resource: Resources.vmi, namespace: 'lab' })),
        ...['update', 'patch', 'delete', 'create'].map((verb) => ({ verb, resource: Resources.node })),
        { verb: 'patch', resource: Resources.node, subresource: 'status' },
        // The operator never deletes migrations (it lets them finish), so it may not.
        ...['delete', 'deletecollection', 'update'].map((verb) => ({ verb, resource: Resources.migration, namespace: 'lab' })),
        ...['get', 'create', 'update', 'delete'].map((verb) => ({ verb, resource: Resources.placement, namespace: 'lab' })),
        { verb: 'update', resource: Resources.placement, subresource: 'status', namespace: 'lab' },
        // NodeLinks are the link agents' to write; the operator only reads them.
        ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((verb) => ({ verb, resource: Resources.nodeLink, name: 'ws-1' })),
        ...['update', 'patch'].map((verb) => ({ verb, resource: Resources.nodeLink, subresource: 'status', name: 'ws-1' })),
        { verb: 'get', resource: Resources.vmi, namespace: 'lab', name: 'vm-1' },
        { verb: 'get', resource: Resources.lease, namespace: 'default', name: lease },
        { verb: 'create', resource: Resources.lease, namespace: 'default' },
        { verb: 'update', resource: Resources.lease, namespace: releaseNs, name: 'someone-elses-lease' },
        { verb: 'delete', resource: Resources.lease, namespace: releaseNs, name: lease },
        { verb: 'list', resource: Resources.pod },
        { verb: 'get', resource: configMap, namespace: releaseNs },
        { verb: 'create', resource: coreEvent, namespace: 'lab' },
        { verb: 'update', resource: Resources.event, namespace: 'lab' },
        { verb: 'create', resource: clusterRoleBinding },
        ...['update', 'deletecollection'].map((verb) => ({ verb, resource: Resources.migrationPolicy })),
        ...['get', 'update', 'patch'].map((verb) => ({ verb, resource: Resources.kubevirt, namespace: 'kubevirt' })),
        ...['get', 'update', 'patch', 'delete'].map((verb) => ({ verb, resource: Resources.namespace, name: 'lab' })),
        { verb: 'delete', resource: Resources.crd, name: 'offlinefirstplacements.placement.offline-first.io' },
      ];
      const granted: string[] = [];
      for (const a of forbidden) if (await allowed(a)) granted.push(describeAccess(a));
      expect(granted, 'calls the ServiceAccount may make but should not').to.deep.equal([]);
    });

    it('is enough for the operator: run under the ServiceAccount with the Deployment\'s own args, it leads, moves a VM and follows its migration', async function () {
      this.timeout(90_000);
      // The installed Deployment's arguments, as the pod would run them (ports made free here).
      const deployment = await client.request<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>('GET', `/apis/apps/v1/namespaces/${releaseNs}/deployments/${release}`);
      const [metricsPort, healthPort] = [await freePort(), await freePort()];
      // Free ports, and a fast resync so the test need not wait.
      const overrides: Record<string, string> = { '--metrics-port': String(metricsPort), '--health-port': String(healthPort), '--resync-seconds': '1' };
      const args = deployment.spec.template.spec.containers[0]!.args.map((a) => {
        const [flag] = a.split('=');
        return flag && overrides[flag] ? `${flag}=${overrides[flag]}` : a;
      });
      expect(args).to.include.members(['run', '--leader-elect', `--leader-election-namespace=${releaseNs}`]);

      const token = await client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${releaseNs}/serviceaccounts/offline-first/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
      });
      const saClient = client.withBearerToken(token.status.token, 'offline-first');
      const dir = mkdtempSync(join(tmpdir(), 'offline-first-sa-'));
      const saKubeconfig = join(dir, 'kubeconfig');
      writeFileSync(saKubeconfig, saClient.config.exportConfig(), { mode: 0o600 });
      // The token really is the ServiceAccount's: it may not read Secrets.
      await saClient.list(Resources.node);
      const denied = await saClient.request('GET', `/api/v1/namespaces/${releaseNs}/secrets`).then(() => 'read', (err: Error) => err.message);
      expect(denied).to.match(/403 Forbidden/);

      const w = new OperatorWorld(client, await newNamespace(client, 'chart-e2e'));
      const cli = join(projectRoot, 'dist', 'src', 'cli.js');
      const child = spawn(process.execPath, [cli, ...args, '--kubeconfig', saKubeconfig], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, POD_NAME: 'offline-first-chart-test', POD_NAMESPACE: releaseNs },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        const home = await w.server('server-1');
        const ws = await w.workstation('ws-1', '900Mbit/s');
        await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
        await w.startKubevirt();
        const led = await eventually('the operator to lead', async () => {
          if (child.exitCode !== null) return 'exited';
          const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return /^offline_first_leader 1$/m.test(text) ? 'leading' : undefined;
        }, 30_000);
        expect(led, `the operator stopped:\n${out}`).to.equal('leading');
        expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).to.equal(200);
        const held = await client.get<KubeObject & { spec: { holderIdentity?: string } }>(Resources.lease, releaseNs, lease);
        expect(held.spec.holderIdentity).to.match(/^offline-first-chart-test-\d+$/);

        await w.placement('room');
        await w.nodeOf('vm-1', ws, 30_000);
        const [migration] = await w.migrations();
        expect(migration?.metadata.labels).to.include({ 'placement.offline-first.io/placement': 'room' });
        await eventually('the follower to annotate the finished migration', async () => {
          const m = (await w.migrations())[0];
          return m?.metadata.annotations?.[OBSERVED_PHASE_ANNOTATION] === 'Succeeded' ? true : undefined;
        });
        const placement = await eventually('placement status written by the operator', async () => {
          const p = await client.get<OfflineFirstPlacement>(Resources.placement, w.ns, 'room');
          return p.status?.placed === '1/1' ? p : undefined;
        });
        expect(placement.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
        const events = (await client.list<KubeObject & { reason?: string }>(Resources.event, w.ns)).items.map((e) => e.reason);
        expect(events).to.include.members(['MovingToClient', 'MigrationSucceeded']);
        expect(out).to.not.match(/forbidden/i);
      } finally {
        child.kill('SIGTERM');
        await exited;
        await w.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('is removed by helm uninstall, except the CRDs (Helm never deletes CRDs)', async () => {
      const r = helm(['uninstall', release, '--namespace', releaseNs, '--kubeconfig', kubeconfig()]);
      expect(r.status, r.stderr).to.equal(0);
      installed = false;
      const gone = async (path: string) =>
        eventually(`${path} to be deleted`, async () => {
          try {
            await client.request('GET', path);
            return undefined;
          } catch (err) {
            if (isNotFound(err)) return true;
            throw err;
          }
        });
      for (const path of [
        `/apis/apps/v1/namespaces/${releaseNs}/deployments/${release}`,
        `/api/v1/namespaces/${releaseNs}/serviceaccounts/${release}`,
        `/api/v1/namespaces/${releaseNs}/services/${release}-metrics`,
        `/apis/policy/v1/namespaces/${releaseNs}/poddisruptionbudgets/${release}`,
        `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}`,
        `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${release}`,
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${releaseNs}/roles/${release}-leader-election`,
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${releaseNs}/rolebindings/${release}-leader-election`,
      ]) {
        await gone(path);
      }
      expect(await allowed({ verb: 'list', resource: Resources.node })).to.equal(false);
      await client.get(Resources.crd, undefined, 'offlinefirstplacements.placement.offline-first.io');
      await client.get(Resources.crd, undefined, 'nodelinks.placement.offline-first.io');
    });
  });
});
