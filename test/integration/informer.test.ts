import { expect } from 'chai';
import { KubeClient, type WatchEvent, type WatchOptions } from '../../src/kube/client.js';
import type { KubeObject, StatusBody } from '../../src/kube/objects.js';
import { Resources, type Resource } from '../../src/kube/resources.js';
import { Informer } from '../../src/runtime/informer.js';
import { adminClient, eventually, newNamespace } from './support.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const configMaps: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

/** Handlers that record what the informer reported, by key. */
function recorder<T extends KubeObject>(informer: Informer<T>) {
  const seen = { upserts: [] as string[], deletes: [] as string[] };
  informer.addHandler({
    onUpsert: (o) => seen.upserts.push(o.metadata.name ?? ''),
    onDelete: (o) => seen.deletes.push(o.metadata.name ?? ''),
  });
  return seen;
}

/**
 * The real client, except that the first watch (after the informer's first list) starts from
 * resourceVersion "1", far older than the API server's watch cache holds for a resource created
 * later: the server answers with a 410 Expired ERROR event. `meanwhile` runs just before, to change
 * the world behind the informer's back.
 */
class FirstWatchTooOld extends KubeClient {
  readonly requestedVersions: (string | undefined)[] = [];
  readonly errors: StatusBody[] = [];
  meanwhile: () => Promise<void> = async () => {};

  override async watch<T extends KubeObject>(
    r: Resource,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.requestedVersions.push(opts.resourceVersion);
    const first = this.requestedVersions.length === 1;
    if (first) await this.meanwhile();
    const record = (e: WatchEvent<T>) => {
      if (e.type === 'ERROR') this.errors.push(e.object as StatusBody);
      onEvent(e);
    };
    return super.watch(r, namespace, first ? { ...opts, resourceVersion: '1' } : opts, record, signal);
  }
}

describe('the informer on a real API server', function () {
  this.timeout(30_000);
  let client: KubeClient;
  let ns: string;
  let informer: Informer<KubeObject> | undefined;

  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    ns = await newNamespace(client, 'informer');
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
  });

  it('lists, then follows creates, updates and deletes of ConfigMaps', async () => {
    await client.create<ConfigMap>(configMaps, { metadata: { name: 'before', namespace: ns }, data: { v: '1' } });
    const cms = new Informer<ConfigMap>(client, configMaps, { namespace: ns });
    informer = cms;
    const seen = recorder(cms);
    cms.start();
    await cms.waitForSync();
    expect(cms.get(`${ns}/before`)?.data).to.deep.equal({ v: '1' });
    expect(cms.get(`${ns}/before`)?.metadata.managedFields).to.equal(undefined);

    await client.create<ConfigMap>(configMaps, { metadata: { name: 'a', namespace: ns }, data: { v: '1' } });
    await eventually('the create', () => cms.get(`${ns}/a`));
    await client.mergePatch(configMaps, ns, 'a', { data: { v: '2' } });
    await eventually('the update', () => (cms.get(`${ns}/a`)?.data?.v === '2' ? true : undefined));
    await client.delete(configMaps, ns, 'before');
    await eventually('the delete', () => (cms.get(`${ns}/before`) ? undefined : true));

    expect(cms.list().map((c) => c.metadata.name)).to.deep.equal(['a']);
    expect(cms.get(`${ns}/a`)?.metadata.managedFields).to.equal(undefined);
    expect(seen.upserts).to.deep.equal(['before', 'a', 'a']);
    expect(seen.deletes).to.deep.equal(['before']);
    expect(cms.relists).to.equal(1);
  });

  describe('on a resource whose watch cache starts after resourceVersion 1', () => {
    // A CRD created now: the API server's watch cache for it begins at the current
    // resourceVersion, so a watch from "1" is too old. (Built-in kinds' caches begin at
    // server start, where "1" is still served, and etcd compaction is not in our hands.)
    const group = `g${Date.now().toString(36)}.test.offline-first.io`;
    const gadgets: Resource = { group, version: 'v1', plural: 'gadgets', kind: 'Gadget', namespaced: true };

    before(async function () {
      this.timeout(30_000);
      const admin = adminClient();
      await admin.create(Resources.crd, {
        metadata: { name: `gadgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
          ],
        },
      } as KubeObject);
      await eventually('the Gadget CRD to be served', () => admin.list(gadgets).then(() => true));
    });
    after(async () => {
      await adminClient().delete(Resources.crd, undefined, `gadgets.${group}`);
    });

    const gadget = (name: string) => client.create(gadgets, { metadata: { name, namespace: ns } });

    it('the API server answers a watch from a too-old resourceVersion with a 410 Expired event', async () => {
      await gadget('g1');
      const events: WatchEvent<KubeObject>[] = [];
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), 5_000);
      await client.watch(gadgets, ns, { resourceVersion: '1' }, (e) => events.push(e), timeout.signal);
      clearTimeout(timer);
      expect(events.map((e) => e.type)).to.deep.equal(['ERROR']);
      expect(events[0]?.object).to.include({ code: 410, reason: 'Expired' });
      expect((events[0]?.object as StatusBody).message).to.match(/too old resource version/);
    });

    it('the informer relists on that 410: objects deleted meanwhile are dropped and reported, new ones appear, and it keeps watching', async () => {
      await gadget('keep');
      await gadget('gone');
      const stale = new FirstWatchTooOld(adminClient().credentials);
      stale.meanwhile = async () => {
        await client.delete(gadgets, ns, 'gone');
        await gadget('new');
      };
      const gs = new Informer<KubeObject>(stale, gadgets, { namespace: ns, backoff: { initialMs: 10, maxMs: 100 } });
      informer = gs;
      const seen = recorder(gs);
      gs.start();
      await gs.waitForSync();

      await eventually('the relist', () => (gs.relists >= 2 ? true : undefined));
      expect(stale.errors.map((s) => [s.code, s.reason])).to.deep.equal([[410, 'Expired']]);
      expect(gs.list().map((g) => g.metadata.name).sort()).to.deep.equal(['keep', 'new']);
      expect(seen.deletes).to.deep.equal(['gone']);

      // After the relist it watches from the new list's resourceVersion, so later changes arrive.
      await gadget('later');
      await eventually('a create after the relist', () => gs.get(`${ns}/later`));
      expect(stale.requestedVersions.length).to.be.at.least(2);
      expect(stale.requestedVersions[1]).to.not.equal(stale.requestedVersions[0]);
      expect(gs.relists).to.equal(2);
    });
  });
});
