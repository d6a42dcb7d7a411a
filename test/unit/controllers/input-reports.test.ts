import { expect } from 'chai';
import type { InputProblem } from '../../../src/observation/gather.js';
import { InputReports } from '../../../src/controllers/placement/input-reports.js';

const bad = (name: string, message = 'link.offline-first.io/bandwidth: expected a rate'): InputProblem => ({ kind: 'Node', name, message });

describe('InputReports: bad input reported once per interval, not on every plan', () => {
  it('reports a problem when first seen, then not again within the interval, then again', () => {
    const r = new InputReports(600_000);
    expect(r.due([bad('pc-1'), bad('pc-1')], 0)).to.have.length(1);
    for (let t = 5_000; t < 600_000; t += 5_000) expect(r.due([bad('pc-1')], t)).to.deep.equal([]);
    expect(r.due([bad('pc-1')], 600_000)).to.have.length(1);
  });

  it('reports a new message on the same object at once', () => {
    const r = new InputReports(600_000);
    r.due([bad('pc-1')], 0);
    expect(r.due([bad('pc-1', 'offline-first.io/leaving: expected "true" or "false"')], 1000)).to.have.length(1);
  });

  it('forgets a fixed problem, so breaking it again reports again', () => {
    const r = new InputReports(600_000);
    r.due([bad('pc-1')], 0);
    r.due([], 1000);
    expect(r.due([bad('pc-1')], 2000)).to.have.length(1);
  });

  it('reports 7 bad values over 72 s of plans every 2 s as 7 reports, not 252', () => {
    const r = new InputReports();
    const problems = Array.from({ length: 7 }, (_, i) => bad(`pc-${i}`));
    let reports = 0;
    for (let t = 0; t < 72_000; t += 2_000) reports += r.due(problems, t).length;
    expect(reports).to.equal(7);
  });
});
