import { expect } from 'chai';
import { OperatorMetrics } from '../../../src/observability/metrics.js';

describe('the metric names', () => {
  it("carry the project's prefix once, on the process metrics too", async () => {
    const names = (await new OperatorMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).to.include('offline_first_process_cpu_seconds_total');
    expect(names).to.include('offline_first_process_resident_memory_bytes');
    expect(names.filter((n) => /process_process|offline_first_offline_first/.test(n))).to.deep.equal([]);
    expect(names.filter((n) => !n.startsWith('offline_first_'))).to.deep.equal([]);
  });
});
