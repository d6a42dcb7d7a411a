import { expect } from 'chai';
import { PlanSupersession } from '../../../src/runtime/plan-supersession.js';

describe('plan supersession', () => {
  it('a trigger while no plan runs cuts nothing (the plan it queues reads it)', () => {
    const s = new PlanSupersession();
    s.trigger();
    s.begin();
    expect(s.superseded).to.equal(false);
  });

  it('a trigger during a plan cuts it', () => {
    const s = new PlanSupersession();
    s.begin();
    expect(s.superseded).to.equal(false);
    s.trigger();
    expect(s.superseded).to.equal(true);
  });

  it('the plan after a cut one runs to its end, whatever arrives; the one after that can be cut again', () => {
    const s = new PlanSupersession();
    s.begin();
    s.trigger();
    s.end(true);
    s.begin();
    s.trigger();
    expect(s.superseded).to.equal(false);
    s.end(false);
    s.begin();
    s.trigger();
    expect(s.superseded).to.equal(true);
  });

  it('a stream of triggers lets every other plan end', () => {
    const s = new PlanSupersession();
    const ended: boolean[] = [];
    for (let i = 0; i < 10; i++) {
      s.begin();
      s.trigger();
      const cut = s.superseded;
      s.end(cut);
      ended.push(!cut);
    }
    expect(ended.filter(Boolean)).to.have.length(5);
    for (let i = 1; i < ended.length; i++) expect(ended[i - 1] || ended[i]).to.equal(true);
  });
});
