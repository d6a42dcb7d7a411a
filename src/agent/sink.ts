/**
 * Where the agent's results go: the node's NodeLink record (get, create if missing, then replace
 * its status subresource), or standard output for a dry run. The one write seam of the agent.
 */
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import type { NodeLink, NodeLinkStatus } from '../kube/node-link.js';
import { Resources } from '../kube/resources.js';

export interface LinkSink {
  publish(status: NodeLinkStatus): Promise<void>;
}

/** Attempts of a get-create-update round when another writer got in between. */
const ATTEMPTS = 3;

export class NodeLinkSink implements LinkSink {
  constructor(
    private readonly client: KubeClient,
    readonly nodeName: string,
  ) {}

  async publish(status: NodeLinkStatus): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await this.getOrCreate();
        await this.client.update<NodeLink>(Resources.nodeLink, { ...current, status }, 'status');
        return;
      } catch (err) {
        if ((isConflict(err) || isAlreadyExists(err)) && attempt < ATTEMPTS) continue;
        throw new Error(`cannot publish NodeLink ${this.nodeName}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async getOrCreate(): Promise<NodeLink> {
    try {
      return await this.client.get<NodeLink>(Resources.nodeLink, undefined, this.nodeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return this.client.create<NodeLink>(Resources.nodeLink, { metadata: { name: this.nodeName }, spec: {} });
    }
  }
}

/** Dry run: one JSON line per status, for people and for the lab's accuracy test. */
export class PrintSink implements LinkSink {
  constructor(private readonly write: (line: string) => void) {}

  async publish(status: NodeLinkStatus): Promise<void> {
    this.write(`${JSON.stringify({ ts: new Date().toISOString(), msg: 'NodeLink status (not published: --print)', status })}\n`);
  }
}
