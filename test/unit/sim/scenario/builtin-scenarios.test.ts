/**
 * The built-in scenarios tell the story the README tells: on the LAN the operator puts nearly every
 * VM on its client; at 37 Mbit/s the naive rebalancer starts migrations that cannot converge or that
 * KubeVirt aborts and the operator starts none; over a mixed day every VM is home before its client
 * leaves; and every migration the operator starts ends within its prediction.
 */
import { expect } from 'chai';
import { builtinScenario } from '../../../../src/sim/scenario/load.js';
import type { SimulationRun } from '../../../../src/sim/scenario/results.js';
import type { StrategyName } from '../../../../src/sim/scenario/strategy.js';
import type { Scenario } from '../../../../src/sim/scenario/types.js';
import { parseOptions, runOf } from './support.js';

const runs = new Map<string, { scenario: Scenario; byStrategy: Record<StrategyName, SimulationRun> }>();

function get(name: string): { scenario: Scenario; byStrategy: Record<StrategyName, SimulationRun> } {
  let r = runs.get(name);
  if (!r) {
    const scenario = builtinScenario(name, parseOptions());
    r = { scenario, byStrategy: { none: runOf(scenario, 'none'), naive: runOf(scenario, 'naive'), 'offline-first': runOf(scenario, 'offline-first') } };
    runs.set(name, r);
  }
  return r;
}

describe('simulator: built-in scenarios', function () {
  // Three strategies over a simulated day each; seconds, not minutes (no assertion on it).
  this.timeout(60_000);

  describe('lab-room (1 Gbit/s LAN)', () => {
    it('puts every VM on its client except the one that cannot converge and the one that cannot run offline', () => {
      const { byStrategy } = get('lab-room');
      const s = byStrategy['offline-first'].summary;
      expect(s.peakOnClients).to.equal(22);
      expect(s.refusedBy).to.deep.equal({ NotOfflineCapable: ['lab/student-19'], DirtyRateTooHigh: ['lab/student-07'] });
      expect(s.migrations.failed).to.equal(0);
      expect(s.caughtByDeparture).to.equal(0);
    });

    it('has the naive rebalancer retry the stress-test VM all morning, never converging', () => {
      const naive = get('lab-room').byStrategy.naive;
      const student07 = naive.migrations.filter((m) => m.vm === 'lab/student-07');
      expect(student07.length).to.be.greaterThan(10);
      expect(student07.every((m) => m.outcome === 'Failed' && m.failure === 'NeverConverges')).to.equal(true);
    });
  });

  describe('home-wan (37 Mbit/s WAN)', () => {
    it('has the naive rebalancer start migrations that cannot converge and that KubeVirt aborts', () => {
      const { failedBy } = get('home-wan').byStrategy.naive.summary.migrations;
      expect(failedBy.NeverConverges ?? 0).to.be.greaterThan(0);
      expect(failedBy.AbortedByKubevirt ?? 0).to.be.greaterThan(0);
    });

    it('has offline-first start none of those, and refuse the busy VMs with a reason', () => {
      const of = get('home-wan').byStrategy['offline-first'];
      expect(of.migrations.filter((m) => m.failure === 'NeverConverges' || m.failure === 'AbortedByKubevirt')).to.deep.equal([]);
      expect(of.summary.refusedBy.KubevirtWouldAbort).to.include.members(['lab/student-21', 'lab/student-22']);
      expect(of.summary.refusedBy.DirtyRateTooHigh).to.include.members(['lab/student-06', 'lab/student-07', 'lab/student-18']);
      expect(of.summary.refusedMoves.wouldHaveFailed).to.be.greaterThan(0);
      expect(of.summary.bytesOverWan).to.be.below(get('home-wan').byStrategy.naive.summary.bytesOverWan / 5);
    });

    it('moves the light VMs to their students anyway', () => {
      expect(get('home-wan').byStrategy['offline-first'].summary.peakOnClients).to.be.at.least(10);
    });

    it('catches only the VM whose laptop closes without notice', () => {
      const left = get('home-wan').byStrategy['offline-first'].events.filter((e) => e.kind === 'client-left' && e.vmsCaught.length > 0);
      expect(left).to.have.length(1);
      expect(left[0]).to.deep.include({ node: 'home-17', announced: false, vmsCaught: ['lab/student-17'] });
    });
  });

  describe('mixed-day (clients come and go)', () => {
    it('brings every VM home before its client leaves', () => {
      const of = get('mixed-day').byStrategy['offline-first'];
      const departures = of.events.filter((e) => e.kind === 'client-left');
      expect(departures.length).to.be.greaterThan(40);
      for (const d of departures) expect(d, `${d.kind === 'client-left' ? d.node : ''}`).to.deep.include({ announced: true, vmsCaught: [] });
      expect(of.summary.caughtByDeparture).to.equal(0);
      expect(of.summary.vmHoursOffline).to.equal(0);
    });

    it('moves VMs back to their workstations after lunch, and the research VMs to the library', () => {
      const of = get('mixed-day').byStrategy['offline-first'];
      const afternoonMoves = of.migrations.filter((m) => m.direction === 'ToClient' && m.vm === 'lab/student-01');
      expect(afternoonMoves).to.have.length(2);
      expect(of.migrations.some((m) => m.vm.startsWith('research/') && m.to.startsWith('library-'))).to.equal(true);
    });
  });

  for (const name of ['lab-room', 'home-wan', 'mixed-day']) {
    it(`${name}: every migration offline-first starts ends within its predicted time`, () => {
      const of = get(name).byStrategy['offline-first'];
      expect(of.migrations.length).to.be.greaterThan(0);
      for (const m of of.migrations) {
        // Only a departure without notice may cut one short; none runs past its prediction.
        if (m.outcome === 'Failed') expect(m.failure, m.vm).to.be.oneOf(['TargetLeft', 'SourceLeft']);
        expect(m.seconds, `${m.vm} ${m.direction}`).to.be.at.most(m.predictedSeconds!);
      }
      expect(of.summary.slowerThanPredicted).to.equal(0);
    });

    it(`${name}: the none strategy leaves every VM in the data centre`, () => {
      const none = get(name).byStrategy.none;
      expect(none.summary.migrations.started).to.equal(0);
      expect(none.summary.peakOnClients).to.equal(0);
    });
  }
});
