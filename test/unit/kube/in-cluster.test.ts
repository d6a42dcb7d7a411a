import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InClusterCredentials } from '../../../src/kube/in-cluster.js';

describe('in-cluster credentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'offline-first-sa-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are found in a pod: the service environment and a mounted token', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(InClusterCredentials.detect(env, dir), 'no token mounted').to.equal(undefined);
    writeFileSync(join(dir, 'token'), 't');
    expect(InClusterCredentials.detect({}, dir), 'no service environment').to.equal(undefined);
    expect(InClusterCredentials.detect(env, dir)?.server).to.equal('https://10.96.0.1:443');
    expect(InClusterCredentials.detect({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir)?.server).to.equal('https://[fd00::1]:6443');
  });

  it('send the token, read again once it is older than the re-read interval, and keep the last one while the file is unreadable', async () => {
    writeFileSync(join(dir, 'token'), 'first\n');
    writeFileSync(join(dir, 'ca.crt'), '');
    const c = new InClusterCredentials({ host: 'h', port: '1', dir, rereadMs: 50 });
    expect((await c.authorize()).headers.authorization).to.equal('Bearer first');
    writeFileSync(join(dir, 'token'), 'second');
    expect((await c.authorize()).headers.authorization, 'within the interval').to.equal('Bearer first');
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.authorize()).headers.authorization).to.equal('Bearer second');
    rmSync(join(dir, 'token'));
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.authorize()).headers.authorization).to.equal('Bearer second');
  });

  it('say which file is missing', async () => {
    const c = new InClusterCredentials({ host: 'h', port: '1', dir });
    const err = await c.authorize().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).to.equal(`cannot read the ServiceAccount token ${join(dir, 'token')}: ENOENT`);
    writeFileSync(join(dir, 'token'), 't');
    const noCa = await c.authorize().then(() => undefined, (e: unknown) => e as Error);
    expect(noCa?.message).to.equal(`cannot read the ServiceAccount CA ${join(dir, 'ca.crt')}: ENOENT`);
  });
});
