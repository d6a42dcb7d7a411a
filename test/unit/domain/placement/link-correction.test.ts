/**
 * Learning a client's link correction from finished migrations: one migration's achieved fraction of
 * its measured link, and the bounded, decaying, outlier-robust factor from many.
 */
import { expect } from 'chai';
import { planPlacements } from '../../../../src/domain/placement/index.js';
import { achievedLinkRatio, linkCorrection, linkCorrections, LinkCorrectionRule, type FinishedMigrationFacts } from '../../../../src/domain/placement/link-correction.js';
import type { NodeView } from '../../../../src/domain/placement/types.js';
import { goodWorld, LINK, mapNode, planInput } from './fixtures.js';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const HALF_LIFE_MS = LinkCorrectionRule.halfLifeSeconds * 1000;

/** A 2 GB migration predicted at 60 s over a 40 MB/s link, no correction, no limit. */
const facts = (f: Partial<FinishedMigrationFacts> = {}): FinishedMigrationFacts => ({
  predictedSeconds: 60,
  predictedBytes: 2e9,
  predictedBandwidthBytesPerSecond: 40e6,
  linkBandwidthBytesPerSecond: 40e6,
  linkCorrection: 1,
  runningSeconds: 60,
  ...f,
});

describe('achievedLinkRatio', () => {
  // [what, facts, ratio or the reason it is skipped]
  const cases: [string, FinishedMigrationFacts, number | RegExp][] = [
    ['ran as predicted: the link is as measured', facts(), 1],
    ['took twice as long: half the link', facts({ runningSeconds: 120 }), 0.5],
    ['ran faster than predicted', facts({ runningSeconds: 40 }), 1.5],
    // Predicted with the correction (20 MB/s of a 40 MB/s link) and ran as predicted: still half.
    ['predicted with a correction of 0.5, ran as predicted: the ratio is against the raw link', facts({ predictedBandwidthBytesPerSecond: 20e6, linkCorrection: 0.5, predictedSeconds: 120, runningSeconds: 120 }), 0.5],
    ['predicted with 0.5 but ran at the full link', facts({ predictedBandwidthBytesPerSecond: 20e6, linkCorrection: 0.5, predictedSeconds: 120, runningSeconds: 60 }), 1],
    ['KubeVirt measured more bytes than the model expected', facts({ sentBytes: 3e9, runningSeconds: 90 }), 1],
    // A 10 MB/s limit under a 40 MB/s link: running at the limit says nothing about the link.
    ['paced by a bandwidth limit', facts({ predictedBandwidthBytesPerSecond: 10e6, predictedSeconds: 200, runningSeconds: 200 }), /bandwidth limit/],
    ['under a limit and still slower than it: the link was the bottleneck', facts({ predictedBandwidthBytesPerSecond: 10e6, predictedSeconds: 200, runningSeconds: 400 }), 0.125],
    ['too short to time', facts({ runningSeconds: 10, predictedSeconds: 10 }), /under 15 s/],
    ['too few bytes', facts({ predictedBytes: 10e6, runningSeconds: 20, predictedSeconds: 20 }), /under/],
    ['no predicted bytes recorded', facts({ predictedBytes: NaN }), /incomplete/],
    ['no link recorded', facts({ linkBandwidthBytesPerSecond: NaN }), /incomplete/],
    ['a negative running time (clock skew)', facts({ runningSeconds: -3 }), /incomplete/],
  ];
  for (const [what, f, expected] of cases) {
    it(`${what}: ${expected instanceof RegExp ? 'skipped' : expected}`, () => {
      const r = achievedLinkRatio(f);
      if (expected instanceof RegExp) expect('skipped' in r && r.skipped).to.match(expected);
      else expect('ratio' in r && r.ratio).to.be.closeTo(expected, 1e-9);
    });
  }
});

describe('linkCorrection', () => {
  const fresh = (...ratios: number[]) => ratios.map((ratio) => ({ ratio, endedAtMs: NOW }));
  const prior = LinkCorrectionRule.priorWeight;
  // [what, observations, factor]
  const cases: [string, { ratio: number; endedAtMs: number }[], number][] = [
    ['one fresh observation of 0.5 counts 1 / (1 + prior) of its log', fresh(0.5), 0.5 ** (1 / (1 + prior))],
    ['four agreeing fresh observations come close', fresh(0.5, 0.5, 0.5, 0.5), 0.5 ** (4 / (4 + prior))],
    ['one observation a half-life old counts half', [{ ratio: 0.5, endedAtMs: NOW - HALF_LIFE_MS }], 0.5 ** (0.5 / (0.5 + prior))],
    ['observations a week old have nearly decayed to 1', [{ ratio: 0.5, endedAtMs: NOW - 7 * 24 * HOUR }], 0.5 ** (2 ** -7 / (2 ** -7 + prior))],
    ['a link faster than measured, within the bound', fresh(1.2, 1.2, 1.2, 1.2), 1.2 ** (4 / (4 + prior))],
    ['nothing beyond the upper bound', fresh(5, 5, 5, 5, 5, 5, 5, 5), LinkCorrectionRule.max ** (8 / (8 + prior))],
    ['nothing below the lower bound', fresh(0.01, 0.01, 0.01, 0.01), LinkCorrectionRule.min ** (4 / (4 + prior))],
    ['a migration that ended in the future (clock skew) counts as fresh', [{ ratio: 0.5, endedAtMs: NOW + HOUR }], 0.5 ** (1 / (1 + prior))],
  ];
  for (const [what, observations, factor] of cases) {
    it(`${what}: ${factor.toFixed(3)}`, () => {
      expect(linkCorrection(observations, NOW)?.factor).to.be.closeTo(factor, 1e-9);
    });
  }

  it('is undefined without observations', () => {
    expect(linkCorrection([], NOW)).to.equal(undefined);
    expect(linkCorrection([{ ratio: NaN, endedAtMs: NOW }], NOW)).to.equal(undefined);
  });

  it('counts its observations and their weight', () => {
    expect(linkCorrection([{ ratio: 0.5, endedAtMs: NOW }, { ratio: 0.5, endedAtMs: NOW - HALF_LIFE_MS }], NOW)).to.deep.include({ observations: 2, weight: 1.5 });
  });

  it('is moved little by one outlier among agreeing observations', () => {
    const agreeing = fresh(0.5, 0.5, 0.5, 0.5);
    const without = linkCorrection(agreeing, NOW)!.factor;
    for (const outlier of [0.01, 0.1, 3, 100]) {
      const withOutlier = linkCorrection([...agreeing, ...fresh(outlier)], NOW)!.factor;
      expect(Math.abs(Math.log(withOutlier / without)), `outlier ${outlier}`).to.be.below(Math.log(1.1));
    }
  });

  it('always stays within its bounds, and only moves towards 1 as its observations age', () => {
    for (const ratios of [[0.01], [0.3, 0.4], [0.9, 1.1, 1.0], [2, 2.5], [0.5, 8, 0.05]]) {
      let previous: number | undefined;
      for (const ageHours of [0, 1, 6, 24, 72, 24 * 30]) {
        const f = linkCorrection(ratios.map((ratio) => ({ ratio, endedAtMs: NOW - ageHours * HOUR })), NOW)!.factor;
        expect(f).to.be.within(LinkCorrectionRule.min, LinkCorrectionRule.max);
        if (previous !== undefined) expect(Math.abs(Math.log(f)), `${ratios} at ${ageHours} h`).to.be.at.most(Math.abs(Math.log(previous)) + 1e-12);
        previous = f;
      }
      expect(previous).to.be.closeTo(1, 1e-3);
    }
  });

  it('keeps nodes apart', () => {
    const byNode = linkCorrections([{ node: 'pc-1', ratio: 0.5, endedAtMs: NOW }, { node: 'pc-2', ratio: 1, endedAtMs: NOW }, { node: 'pc-1', ratio: 0.5, endedAtMs: NOW }], NOW);
    expect([...byNode.keys()].sort()).to.deep.equal(['pc-1', 'pc-2']);
    expect(byNode.get('pc-1')!.factor).to.be.closeTo(0.5 ** (2 / (2 + prior)), 1e-9);
    expect(byNode.get('pc-2')!.factor).to.equal(1);
  });
});

describe('the planner with a corrected link', () => {
  const corrected = (factor: number) => (n: NodeView): NodeView => ({ ...n, link: { ...n.link!, bandwidthBytesPerSecond: LINK * factor, correction: factor, measuredBandwidthBytesPerSecond: LINK } });

  it('predicts from the corrected bandwidth and records the measurement and the factor on the migration', () => {
    const before = planPlacements(planInput(goodWorld()));
    const after = planPlacements(planInput(mapNode(goodWorld(), 'pc-1', corrected(0.5))));
    expect(after.decisions[0]!.prediction!.link).to.deep.equal({ node: 'pc-1', measuredBandwidthBytesPerSecond: LINK, correction: 0.5 });
    expect(after.migrations[0]).to.deep.include({ predictedBandwidthBytesPerSecond: LINK / 2, link: { node: 'pc-1', measuredBandwidthBytesPerSecond: LINK, correction: 0.5 } });
    // Half the bandwidth: at least twice as long (more is dirtied meanwhile).
    expect(after.migrations[0]!.predictedSeconds / before.migrations[0]!.predictedSeconds).to.be.within(2, 2.2);
  });
});
