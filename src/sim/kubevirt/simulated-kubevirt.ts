/**
 * The simulated KubeVirt as one unit: virt-api's migration admission webhooks plus the
 * migration controller. Used by the integration tests and by the demo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';
import { resourcePath, Resources } from '../../kube/resources.js';
import { issueServingCert, type CertificateAuthority } from '../../controlplane/certs.js';
import { SimulatedMigrationController, type SimulatedKubevirtOptions } from './migration-controller.js';
import { AdmissionWebhook } from './webhook.js';

export interface StartOptions extends SimulatedKubevirtOptions {
  /** CA trusted by the API server for webhook calls; without it no admission webhook runs. */
  ca?: CertificateAuthority;
  /** Name of the webhook configurations (unique per instance). */
  name?: string;
}

export class SimulatedKubevirt {
  private constructor(
    readonly controller: SimulatedMigrationController,
    private readonly webhook: AdmissionWebhook | undefined,
    private readonly certDir: string | undefined,
  ) {}

  static async start(client: KubeClient, opts: StartOptions = {}): Promise<SimulatedKubevirt> {
    let webhook: AdmissionWebhook | undefined;
    let certDir: string | undefined;
    if (opts.ca) {
      certDir = mkdtempSync(join(tmpdir(), 'offline-first-sim-webhook-'));
      const cert = issueServingCert(opts.ca, certDir, 'webhook', ['127.0.0.1']);
      const name = opts.name ?? `offline-first-sim-kubevirt-${opts.namespace ?? 'cluster'}`;
      webhook = new AdmissionWebhook(client, name, opts.ca, cert, opts.namespace);
      await webhook.start();
      await waitForWebhook(client, opts.namespace ?? 'default');
    }
    const controller = new SimulatedMigrationController(client, opts);
    await controller.start();
    return new SimulatedKubevirt(controller, webhook, certDir);
  }

  async stop(): Promise<void> {
    try {
      await this.controller.stop();
      await this.webhook?.stop();
    } finally {
      // The webhook's private key goes even when the API server is already gone.
      if (this.certDir) rmSync(this.certDir, { recursive: true, force: true });
    }
  }
}

/** The API server picks up webhook configurations asynchronously; probe with a dry-run create. */
async function waitForWebhook(client: KubeClient, namespace: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const probe = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'webhook-probe', namespace }, spec: { vmiName: '' } };
  while (Date.now() < deadline) {
    try {
      await client.request('POST', resourcePath(Resources.migration, namespace), { body: probe, query: { dryRun: 'All' } });
    } catch (err) {
      if (err instanceof KubeApiError && err.message.includes('vmiName is missing')) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the simulated KubeVirt admission webhook did not become active');
}
