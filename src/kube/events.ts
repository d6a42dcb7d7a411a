/**
 * Kubernetes Events (events.k8s.io/v1) about placements, VMIs, nodes and migrations. Failures are
 * logged, never thrown. An event given a name is recorded at most once: a second create with the
 * same name is AlreadyExists, which is how an outcome reported before a crash is not reported again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isAlreadyExists } from './errors.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './objects.js';
import { Resources } from './resources.js';

export interface EventTarget extends KubeObject {
  apiVersion?: string;
  kind?: string;
}

function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly instance: string,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  /**
   * `once`: a key naming this report (e.g. the migration and its phase); the event's name is derived
   * from it, so the report is made at most once, whoever makes it.
   */
  async record(regarding: EventTarget, type: 'Normal' | 'Warning', reason: string, action: string, note: string, once?: string): Promise<'recorded' | 'duplicate' | 'failed'> {
    // Events about cluster-scoped objects (nodes) live in "default", as kubelet's do.
    const ns = regarding.metadata.namespace ?? 'default';
    const suffix = once === undefined ? randomBytes(8).toString('hex') : createHash('sha256').update(`${regarding.kind}/${once}`).digest('hex').slice(0, 16);
    try {
      await this.client.create(Resources.event, {
        metadata: { name: `${(regarding.metadata.name ?? 'object').slice(0, 200)}.${suffix}`, namespace: ns },
        eventTime: microTime(),
        reportingController: 'offline-first.io/operator',
        reportingInstance: this.instance,
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata.name,
          namespace: regarding.metadata.namespace,
          uid: regarding.metadata.uid,
          resourceVersion: regarding.metadata.resourceVersion,
        },
      } as KubeObject);
      return 'recorded';
    } catch (err) {
      if (once !== undefined && isAlreadyExists(err)) return 'duplicate';
      this.log(`event ${reason} on ${regarding.kind}/${regarding.metadata.name} not recorded: ${String(err)}`);
      return 'failed';
    }
  }
}
