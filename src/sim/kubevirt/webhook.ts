/**
 * Serves the simulated virt-api admission webhooks over HTTPS on loopback and registers them
 * with the API server, so a refused migration is refused at creation exactly like on KubeVirt.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { KubevirtLabels, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources, type Resource } from '../../kube/resources.js';
import type { CertificateAuthority, ServingCert } from '../../controlplane/certs.js';
import { mutateMigration, refuseMigration } from './admission.js';

const mutatingWebhooks: Resource = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false };
const validatingWebhooks: Resource = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false };

interface AdmissionReview {
  apiVersion: string;
  kind: string;
  request: { uid: string; operation: string; object: VirtualMachineInstanceMigration; namespace?: string };
}

export class AdmissionWebhook {
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly name: string,
    private readonly ca: CertificateAuthority,
    private readonly cert: ServingCert,
    /** Only migrations in this namespace are admitted by this instance (all when undefined). */
    private readonly namespace?: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer({ cert: readFileSync(this.cert.certPath), key: readFileSync(this.cert.keyPath) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.review(req.url ?? '', Buffer.concat(chunks).toString())
          .then((body) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          })
          .catch((err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    await this.register();
  }

  async stop(): Promise<void> {
    for (const r of [mutatingWebhooks, validatingWebhooks]) {
      try {
        await this.client.delete(r, undefined, this.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // close() waits for every connection to end, and the API server keeps its connections to a
    // webhook open: they are closed at once, or stopping could wait for them for ever.
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await closed;
  }

  private async review(path: string, raw: string): Promise<object> {
    const review = JSON.parse(raw) as AdmissionReview;
    const { uid, object } = review.request;
    const response: Record<string, unknown> = { uid, allowed: true };
    if (path.startsWith('/mutate')) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(mutateMigration(object))).toString('base64');
    } else {
      const namespace = object.metadata.namespace ?? review.request.namespace ?? '';
      object.metadata.namespace = namespace;
      let vmi: VirtualMachineInstance | undefined;
      try {
        vmi = await this.client.get<VirtualMachineInstance>(Resources.vmi, namespace, object.spec?.vmiName ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const siblings = await this.client.list<VirtualMachineInstanceMigration>(Resources.migration, namespace, {
        labelSelector: `${KubevirtLabels.vmiName}=${object.spec?.vmiName ?? ''}`,
      });
      const refusal = refuseMigration(object, vmi, siblings.items);
      if (refusal) {
        response.allowed = false;
        response.status = { code: 422, reason: 'Invalid', message: refusal };
      }
    }
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
  }

  private async register(): Promise<void> {
    const caBundle = Buffer.from(this.ca.certPem).toString('base64');
    const common = (path: string) => ({
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      clientConfig: { url: `https://127.0.0.1:${this.port}${path}`, caBundle },
      rules: [{ apiGroups: ['kubevirt.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['virtualmachineinstancemigrations'] }],
      ...(this.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespace } } } : {}),
    });
    const mutating: KubeObject & { webhooks: object[] } = {
      metadata: { name: this.name },
      webhooks: [{ name: 'migration-create-mutator.sim.kubevirt.io', ...common('/mutate-migration') }],
    };
    const validating: KubeObject & { webhooks: object[] } = {
      metadata: { name: this.name },
      webhooks: [{ name: 'migration-create-validator.sim.kubevirt.io', ...common('/validate-migration') }],
    };
    await this.client.apply(mutatingWebhooks, mutating, { fieldManager: 'offline-first-sim-kubevirt' });
    await this.client.apply(validatingWebhooks, validating, { fieldManager: 'offline-first-sim-kubevirt' });
  }
}
