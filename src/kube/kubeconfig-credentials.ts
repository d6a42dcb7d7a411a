/**
 * A kubeconfig's credentials, through @kubernetes/client-node: its loaders, authentication
 * (tokens, client certificates, exec and auth-provider plugins) and TLS options. The package is
 * loaded when the first kubeconfig is (a synchronous require of the ES module, Node >= 22.12), so
 * a process in a pod that authenticates in-cluster never loads it.
 */
import type { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { createRequire } from 'node:module';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { Agent, type Dispatcher } from 'undici';
import type { Authorized, Credentials } from './credentials.js';

type ClientNode = { KubeConfig: new () => KubeConfig; RequestContext: new (url: string, method: HttpMethod) => RequestContext };

let clientNode: ClientNode | undefined;

export function loadClientNode(): ClientNode {
  clientNode ??= createRequire(import.meta.url)('@kubernetes/client-node') as ClientNode;
  return clientNode;
}

export function newKubeConfig(): KubeConfig {
  return new (loadClientNode().KubeConfig)();
}

export class KubeconfigCredentials implements Credentials {
  readonly server: string;
  /**
   * One HTTP/1.1 connection pool for the current TLS identity, shared by every request. client-node
   * builds a new undici Agent on every applySecurityAuthentication: each request would pay a TLS
   * handshake and leave an idle connection (and its memory) behind until the keep-alive timeout.
   * HTTP/1.1 because undici's HTTP/2 client, with many streams on one session, crashed the process
   * with an unhandled stream error when the API server closed the connection.
   */
  private pool: { key: string; dispatcher: Promise<Dispatcher> } | undefined;

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster (check current-context)');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async authorize(url: string, method: string): Promise<Authorized> {
    const ctx = new (loadClientNode().RequestContext)(url, method as HttpMethod);
    await this.config.applySecurityAuthentication(ctx);
    return { headers: ctx.getHeaders() as unknown as Record<string, string>, dispatcher: await this.dispatcher(ctx.getDispatcher() as Dispatcher | undefined) };
  }

  private dispatcher(fresh: Dispatcher | undefined): Promise<Dispatcher | undefined> | Dispatcher | undefined {
    const cluster = this.config.getCurrentCluster();
    const user = this.config.getCurrentUser();
    // Proxies keep client-node's own dispatcher; credential plugins may rotate client certificates.
    if (!fresh || cluster?.proxyUrl || user?.exec || user?.authProvider) return fresh;
    const key = JSON.stringify([
      cluster?.server, cluster?.caData, cluster?.caFile, cluster?.skipTLSVerify, cluster?.tlsServerName,
      user?.certData, user?.certFile, user?.keyData, user?.keyFile,
    ]);
    if (this.pool?.key !== key) {
      const pool = { key, dispatcher: this.newPool() };
      // A failure (say, an unreadable CA file) must not stick: the next request tries again.
      pool.dispatcher.catch(() => this.pool === pool && (this.pool = undefined));
      this.pool = pool;
    }
    return this.pool.dispatcher;
  }

  private async newPool(): Promise<Dispatcher> {
    const o: HttpsRequestOptions = {};
    await this.config.applyToHTTPSOptions(o);
    const tls = { ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx, passphrase: o.passphrase, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername };
    const d = this.config.createDispatcherOptions(this.config.getCurrentCluster(), tls);
    return new Agent({ ...(d.type === 'agent' ? { connect: d.connect } : {}), allowH2: false });
  }
}
