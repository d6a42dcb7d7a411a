import { expect } from 'chai';
import { NodeLinkSink } from '../../../src/agent/sink.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import type { NodeLink } from '../../../src/kube/node-link.js';

/** An in-memory NodeLink store with the API server's status semantics (resourceVersion checked). */
class FakeApi {
  readonly records = new Map<string, NodeLink>();
  conflictsToInject = 0;
  private version = 0;

  async get<T>(_r: unknown, _ns: unknown, name: string): Promise<T> {
    const o = this.records.get(name);
    if (!o) throw new KubeApiError('GET', name, 404, 'NotFound', 'not found');
    return structuredClone(o) as T;
  }

  async create<T>(_r: unknown, obj: NodeLink): Promise<T> {
    if (this.records.has(obj.metadata.name!)) throw new KubeApiError('POST', obj.metadata.name!, 409, 'AlreadyExists', 'exists');
    const stored: NodeLink = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
    delete stored.status; // status is ignored on create
    this.records.set(obj.metadata.name!, stored);
    return structuredClone(stored) as T;
  }

  async update<T>(_r: unknown, obj: NodeLink, subresource?: string): Promise<T> {
    expect(subresource).to.equal('status');
    const current = this.records.get(obj.metadata.name!)!;
    if (this.conflictsToInject > 0 || current.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      this.conflictsToInject = Math.max(0, this.conflictsToInject - 1);
      current.metadata.resourceVersion = String(++this.version);
      throw new KubeApiError('PUT', obj.metadata.name!, 409, 'Conflict', 'the object has been modified');
    }
    const stored = { ...current, status: obj.status, metadata: { ...current.metadata, resourceVersion: String(++this.version) } };
    this.records.set(obj.metadata.name!, stored);
    return structuredClone(stored) as T;
  }
}

describe('NodeLink sink', () => {
  const status = { bandwidthBytesPerSecond: 4_400_000, rttMs: 21, measuredAt: '2026-12-07T09:00:00.000Z', probes: 1, reflector: 'r:7480' };

  it("creates the node's record when missing, then writes its status", async () => {
    const api = new FakeApi();
    await new NodeLinkSink(api as unknown as KubeClient, 'client-7').publish(status);
    expect(api.records.get('client-7')!.status).to.deep.equal(status);
  });

  it('replaces the status of an existing record', async () => {
    const api = new FakeApi();
    const sink = new NodeLinkSink(api as unknown as KubeClient, 'client-7');
    await sink.publish(status);
    await sink.publish({ ...status, probes: 2 });
    expect(api.records.get('client-7')!.status!.probes).to.equal(2);
    expect(api.records.size).to.equal(1);
  });

  it('rereads and retries after a conflict, and gives up with the node named after three', async () => {
    const api = new FakeApi();
    const sink = new NodeLinkSink(api as unknown as KubeClient, 'client-7');
    api.conflictsToInject = 2;
    await sink.publish(status);
    expect(api.records.get('client-7')!.status).to.deep.equal(status);
    api.conflictsToInject = 3;
    const err = await sink.publish(status).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).to.match(/^cannot publish NodeLink client-7: .*Conflict/);
  });
});
