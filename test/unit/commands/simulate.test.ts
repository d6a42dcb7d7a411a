/**
 * `offline-first simulate` from the command line: the default lab room, JSON for machines, reports,
 * printed scenarios that read back, and bad input as exit code 2 with the field named. The elapsed
 * time is printed (never asserted on).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

function simulate(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, 'simulate', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Doc {
  strategies: string[];
  runs: Record<string, { summary: { peakOnClients: number; vms: number; migrations: { started: number } } }>;
}

describe('offline-first simulate', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'offline-first-simulate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the lab room by default and compares the three strategies, printing how long it took', () => {
    const { code, stdout, stderr } = simulate();
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(/^Scenario lab-room \(built-in scenario lab-room\): 24 VMs, 4 data-centre nodes, 24 clients, 1 placement/);
    expect(stdout).to.contain('== offline-first: timeline ==');
    expect(stdout).to.match(/^\s+none\s+naive\s+offline-first$/m);
    expect(stdout).to.match(/^VMs on clients: peak\s+0\/24\s+23\/24\s+22\/24$/m);
    expect(stdout).to.match(/^ {2}DirtyRateTooHigh\s+1 {2}student-07$/m);
    const elapsed = /simulated 4h35m of none, naive, offline-first \(\d+ plans\) in (\d+\.\d+) s/.exec(stderr);
    expect(elapsed, stderr).not.to.equal(null);
    process.stdout.write(`      (simulate --scenario lab-room, three strategies: ${elapsed![1]} s)\n`);
  });

  it('prints one JSON document with --json, for one strategy', () => {
    const { code, stdout } = simulate('--scenario', 'home-wan', '--strategy', 'offline-first', '--json');
    expect(code).to.equal(0);
    expect(stdout.trim().split('\n')).to.have.length(1);
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.strategies).to.deep.equal(['offline-first']);
    expect(doc.runs['offline-first']!.summary.vms).to.equal(24);
  });

  it('prints a built-in scenario that reads back as the same scenario', () => {
    const printed = simulate('--scenario', 'mixed-day', '--print-scenario');
    expect(printed.code).to.equal(0);
    const file = join(dir, 'mixed-day.yaml');
    writeFileSync(file, printed.stdout);
    const fromFile = JSON.parse(simulate('--file', file, '--strategy', 'offline-first', '--json').stdout) as Doc;
    const builtin = JSON.parse(simulate('--scenario', 'mixed-day', '--strategy', 'offline-first', '--json').stdout) as Doc;
    expect(fromFile.runs).to.deep.equal(builtin.runs);
  });

  it('writes an HTML or SVG report', () => {
    for (const name of ['report.html', 'report.svg']) {
      const file = join(dir, name);
      const { code, stderr } = simulate('--scenario', 'lab-room', '--report', file, '--timeline', 'none');
      expect(code, stderr).to.equal(0);
      expect(stderr).to.contain(`report written to ${file}`);
      expect(readFileSync(file, 'utf8')).to.match(name.endsWith('.svg') ? /^<svg / : /^<!doctype html>/);
    }
  });

  it('refuses a bad scenario file with exit code 2, naming the file and the field', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(join(dir, 'mixed-day.yaml'), 'utf8').replace('link: {bandwidth: 100Mbit/s', 'link: {bandwidth: fast'));
    const { code, stdout, stderr } = simulate('--file', file);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr).to.equal(`offline-first simulate: ${file}: nodes[4].link.bandwidth: expected a rate like 37Mbit/s or 2.5MB/s, got "fast"\n`);
  });

  const usage: [string, string[], string][] = [
    ['an unknown strategy', ['--strategy', 'greedy'], '--strategy: expected offline-first, naive, none or all, got "greedy"'],
    ['an unknown scenario', ['--scenario', 'office'], 'no built-in scenario "office" (there are lab-room, home-wan, mixed-day)'],
    ['a missing file', ['--file', '/nonexistent/x.yaml'], 'cannot read /nonexistent/x.yaml: no such file'],
    ['both a scenario and a file', ['--scenario', 'lab-room', '--file', 'x.yaml'], 'give --scenario or --file, not both'],
    ['a report that is neither HTML nor SVG', ['--report', 'out.pdf'], '--report: expected a file name ending in .html or .svg, got "out.pdf"'],
    ['an unknown timeline mode', ['--timeline', 'long'], '--timeline: expected summary, full or none, got "long"'],
  ];
  for (const [what, args, message] of usage) {
    it(`exits 2 on ${what}`, () => {
      const { code, stderr } = simulate(...args);
      expect(code).to.equal(2);
      expect(stderr).to.contain(message);
    });
  }
});
