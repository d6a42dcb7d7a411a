import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { Operator } from '../../src/operator/operator.js';
import { adminClient, eventually, newNamespace } from './support.js';

const dir = join(projectRoot, 'examples');

describe('the example placements', function () {
  this.timeout(30_000);
  let client: KubeClient;
  let ns: string;
  let operator: Operator;
  before(async () => {
    client = adminClient();
    ns = await newNamespace(client, 'examples');
    operator = new Operator(client, { identity: 'examples', resyncMs: 1000 });
    await operator.start();
  });
  after(async () => {
    await operator?.stop();
  });

  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('has the three documented samples', () => {
    expect(files).to.include.members(['lab-room-1-237.yaml', 'shared-client-pool.yaml', 'recommend-trial.yaml']);
  });

  for (const file of files) {
    it(`${file} is accepted by the API server and planned by the operator`, async () => {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text.split('\n')[0], 'starts with a comment saying what it is for').to.match(/^# /);
      const docs = yaml.loadAll(text) as OfflineFirstPlacement[];
      for (const doc of docs) {
        const created = await client.create<OfflineFirstPlacement>(Resources.placement, { ...doc, metadata: { ...doc.metadata, namespace: ns } });
        const status = await eventually(`status of ${created.metadata.name}`, async () => {
          const p = await client.get<OfflineFirstPlacement>(Resources.placement, ns, created.metadata.name!);
          return p.status?.observedGeneration === p.metadata.generation ? p.status : undefined;
        });
        // Nothing in this namespace matches the samples' selectors: the semantic problem is reported.
        const ready = status.conditions?.find((c) => c.type === 'Ready');
        expect(ready?.status).to.equal('False');
        expect(ready?.reason).to.equal('NoVMsSelected');
      }
    });
  }
});
