/** The timeline tells a run briefly: one line per kind of event and minute, repeats told once. */
import { expect } from 'chai';
import { timelineLines } from '../../../../src/sim/scenario/timeline.js';
import { runOf, scenarioOf, tinyDoc } from './support.js';

describe('simulator: timeline', () => {
  it('tells a move, the announcement, the return and the departure in order, with predictions', () => {
    const doc = tinyDoc();
    doc.nodes[1].online = [{ from: '08:00', until: '08:30', notice: '10m' }];
    const s = scenarioOf(doc);
    const lines = timelineLines(runOf(s, 'offline-first'), s, { maxLines: 50 });
    expect(lines[0]).to.match(/^08:00 {2}1 move to a client started: vm-1 -> ws-1 \(predicted \d\.\d+s\)$/);
    expect(lines[1]).to.match(/^ {7}1 move to a client succeeded in \d\.\d+s: vm-1$/);
    expect(lines[2]).to.equal('08:20  client ws-1 announces leaving at 08:30');
    expect(lines.some((l) => /1 return home started: vm-1 -> dc-1/.test(l))).to.equal(true);
    expect(lines.at(-1)).to.equal('08:30  client ws-1 left; no VM left on them');
  });

  it('tells a retry loop once, with how often it repeats', () => {
    const doc = tinyDoc();
    doc.nodes[1].link = { bandwidth: '37Mbit/s', rtt: '30ms', network: 'wan' };
    doc.vms[0].dirtyRate = '20MB/s';
    const s = scenarioOf(doc);
    const lines = timelineLines(runOf(s, 'naive'), s, { maxLines: 50 });
    expect(lines).to.include('08:07  1 migration FAILED: vm-1 -> ws-1 after 7m30s: never converges (aborted at the completion timeout)');
    expect(lines).to.include('       1 move to a client started: vm-1 -> ws-1');
    // Every 7m30s, from 08:07:30 to 09:00:00.
    expect(lines.at(-1)).to.equal('       ... the same 7 more times, until 09:00');
    expect(lines).to.have.length(4);
  });

  it('groups the refusals by reason with the planner\'s message, and cuts long timelines', () => {
    const doc = tinyDoc();
    doc.vms[0].volumes = ['persistentVolumeClaim'];
    const s = scenarioOf(doc);
    const run = runOf(s, 'offline-first');
    expect(timelineLines(run, s, { maxLines: 50 })).to.deep.equal([
      '08:00  vm-1 is blocked (NotOfflineCapable): the placement wants offline capability, and the VM has network storage (persistentVolumeClaim)',
    ]);
    expect(timelineLines(run, s, { maxLines: 0 })).to.deep.equal(['... 1 more lines (--timeline full, or --json for every event)']);
  });
});
