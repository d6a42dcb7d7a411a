/**
 * How the client authenticates to the API server and connects to it: a kubeconfig (through
 * @kubernetes/client-node, loaded only then), or a pod's ServiceAccount (in-cluster.ts, without it).
 */
import type { Dispatcher } from 'undici';

export interface Authorized {
  readonly headers: Record<string, string>;
  /** The connection pool to send the request on (with the TLS identity and the CA to trust). */
  readonly dispatcher: Dispatcher | undefined;
}

export interface Credentials {
  /** The API server's URL, without a trailing slash. */
  readonly server: string;
  authorize(url: string, method: string): Promise<Authorized>;
}
