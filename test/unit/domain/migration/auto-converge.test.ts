import { expect } from 'chai';
import { AutoConvergeThrottle } from '../../../../src/domain/migration/auto-converge.js';

describe('auto-converge throttle (QEMU 7.2)', () => {
  it('steps 20 %, then +10 % a step, up to 99 %, one step per two high periods', () => {
    const throttle = new AutoConvergeThrottle();
    const seen: number[] = [];
    for (let pass = 0; pass < 24; pass++) {
      // A 10 s pass that sends 46 MB while the guest dirties 40 MB: far over 50 %.
      throttle.sync(10, 46e6, 40e6);
      seen.push(Math.round(throttle.throttle * 100));
    }
    expect(seen).to.deep.equal([0, 20, 20, 30, 30, 40, 40, 50, 50, 60, 60, 70, 70, 80, 80, 90, 90, 99, 99, 99, 99, 99, 99, 99]);
    expect(throttle.atMax).to.equal(true);
    expect(throttle.guestSpeed).to.be.closeTo(0.01, 1e-12);
  });

  it('does not throttle while the guest dirties at most half of what is sent', () => {
    const throttle = new AutoConvergeThrottle();
    for (let pass = 0; pass < 10; pass++) throttle.sync(10, 46e6, 23e6);
    expect(throttle.throttle).to.equal(0);
  });

  it('counts a period only after more than one second, summing short passes', () => {
    const throttle = new AutoConvergeThrottle();
    // Passes of 0.3 s: a period closes every fourth pass (1.2 s), so the first step needs 8 passes.
    const steps: number[] = [];
    for (let pass = 1; pass <= 8; pass++) if (throttle.sync(0.3, 1.4e6, 1.3e6)) steps.push(pass);
    expect(steps).to.deep.equal([8]);
    expect(throttle.throttle).to.be.closeTo(0.2, 1e-12);
  });
});
