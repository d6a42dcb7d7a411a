/** Kubernetes Events (events.k8s.io/v1) about placements, VMIs and migrations. Failures are logged, never thrown. */
import { randomBytes } from 'node:crypto';
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

  async record(regarding: EventTarget, type: 'Normal' | 'Warning', reason: string, action: string, note: string): Promise<void> {
    const ns = regarding.metadata.namespace ?? 'default';
    try {
      await this.client.create(Resources.event, {
        metadata: { name: `${regarding.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
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
    } catch (err) {
      this.log(`event ${reason} on ${regarding.kind}/${regarding.metadata.name} not recorded: ${String(err)}`);
    }
  }
}
