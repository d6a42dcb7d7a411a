import { expect } from 'chai';
import { ApiHealth } from '../../../src/runtime/api-health.js';
import { until } from './until.js';

/** A probe whose answer the test sets: up, down, or hanging (never settles). */
function fakeApiServer() {
  const state = { mode: 'up' as 'up' | 'down' | 'hang', probes: 0 };
  const probe = (signal: AbortSignal) => {
    state.probes++;
    if (state.mode === 'up') return Promise.resolve({ gitVersion: 'v1.37.2' });
    if (state.mode === 'down') return Promise.reject(new Error('cannot reach https://127.0.0.1:6443: connect ECONNREFUSED'));
    void signal;
    return new Promise<never>(() => undefined);
  };
  return { state, probe };
}

describe('ApiHealth', () => {
  it('stays reachable through fewer consecutive failures than the threshold', async () => {
    const api = fakeApiServer();
    const health = new ApiHealth(api.probe, { failureThreshold: 3 });
    api.state.mode = 'down';
    await health.check();
    await health.check();
    expect(health.isReachable()).to.equal(true);
    api.state.mode = 'up';
    await health.check();
    api.state.mode = 'down';
    await health.check();
    await health.check();
    expect(health.isReachable(), 'a success in between resets the count').to.equal(true);
  });

  it('turns unreachable at the threshold and reachable again after one success, reporting each change once', async () => {
    const api = fakeApiServer();
    const changes: [boolean, string | undefined][] = [];
    const health = new ApiHealth(api.probe, { failureThreshold: 2, onChange: (r, e) => changes.push([r, e ? String(e) : undefined]) });
    api.state.mode = 'down';
    await health.check();
    await health.check();
    await health.check();
    expect(health.isReachable()).to.equal(false);
    api.state.mode = 'up';
    await health.check();
    await health.check();
    expect(health.isReachable()).to.equal(true);
    expect(changes).to.have.length(2);
    expect(changes[0]![0]).to.equal(false);
    expect(changes[0]![1]).to.contain('ECONNREFUSED');
    expect(changes[1]).to.deep.equal([true, undefined]);
  });

  it('counts a probe that hangs past its timeout as a failure', async () => {
    const api = fakeApiServer();
    const health = new ApiHealth(api.probe, { failureThreshold: 1, timeoutMs: 5 });
    api.state.mode = 'hang';
    expect(await health.check()).to.equal(false);
  });

  it('probes on its own every interval once started, and stops probing when stopped', async () => {
    const api = fakeApiServer();
    const health = new ApiHealth(api.probe, { intervalMs: 1, failureThreshold: 2 });
    health.start();
    try {
      api.state.mode = 'down';
      await until('unreachable', () => !health.isReachable());
      api.state.mode = 'up';
      await until('reachable again', () => health.isReachable());
    } finally {
      await health.stop();
    }
    const probes = api.state.probes;
    await new Promise((r) => setTimeout(r, 20));
    expect(api.state.probes).to.equal(probes);
  });
});
