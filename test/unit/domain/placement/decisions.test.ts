import { expect } from 'chai';
import { describePrediction } from '../../../../src/domain/placement/decisions.js';
import type { PredictionSummary } from '../../../../src/domain/placement/index.js';
import { Annotations } from '../../../../src/observation/annotations.js';

describe('decision messages', () => {
  const summary = {
    seconds: 48,
    bytes: 6.5e9,
    downtimeMs: 120,
    converges: true,
    completes: true,
    mode: 'PreCopy',
    bandwidthBytesPerSecond: 117.5e6,
    dirtyRateConfidence: 'measured',
    linkConfidence: 'fresh',
    budgetSeconds: 450,
  } as PredictionSummary;

  it('says when local disk bytes are assumed from capacity, and which annotation gives the real figure', () => {
    const text = describePrediction({ ...summary, localDiskBytesAssumed: true });
    expect(text).to.include('local disks assumed full (capacity)').and.include(Annotations.localDiskUsed);
  });

  it('says nothing of disks when their bytes are known', () => {
    expect(describePrediction(summary)).not.to.include('local disks');
  });
});
