/**
 * The reports: a self-contained HTML page (nothing fetched, no script) and a well-formed SVG, both
 * showing every strategy; the text summary lines the strategies up in columns.
 */
import { expect } from 'chai';
import { htmlReport, svgReport } from '../../../../src/sim/scenario/report.js';
import { summaryTable } from '../../../../src/sim/scenario/summary-table.js';
import { simulationDocument, toJson } from '../../../../src/sim/scenario/json-output.js';
import { runOf, scenarioOf, tinyDoc } from './support.js';

function runs() {
  const doc = tinyDoc();
  doc.nodes[1].online = [{ from: '08:00', until: '08:40', notice: '15m' }];
  const s = scenarioOf(doc);
  return { s, runs: [runOf(s, 'none'), runOf(s, 'naive'), runOf(s, 'offline-first')] };
}

/** Every tag closes, and no tag repeats an attribute (an XML error browsers forgive and others do not). */
function checkWellFormed(markup: string): void {
  const stack: string[] = [];
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    const names = [...attrs!.matchAll(/\s([\w:-]+)=/g)].map((a) => a[1]);
    expect(new Set(names).size, `attributes of <${name}${attrs}>`).to.equal(names.length);
    if (selfClosing) continue;
    if (closing) expect(stack.pop(), `closing </${name}>`).to.equal(name);
    else stack.push(name!);
  }
  expect(stack).to.deep.equal([]);
}

describe('simulator: reports', () => {
  it('writes a well-formed SVG with the charts of every strategy', () => {
    const { s, runs: r } = runs();
    const svg = svgReport(s, r);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    checkWellFormed(svg);
    for (const name of ['VMs on clients over time', 'Migrations', 'Where each VM ran: offline-first', 'Where each VM ran: naive']) expect(svg).to.contain(name);
  });

  it('writes a self-contained HTML page: inline SVG and CSS, no script, nothing fetched', () => {
    const { s, runs: r } = runs();
    const html = htmlReport(s, r);
    expect(html).to.match(/^<!doctype html>/);
    expect(html).not.to.match(/<script|<link|src=|href=|@import|url\(/i);
    checkWellFormed(html.replace(/^<!doctype html>\n/, '').replace(/<meta charset="utf-8">/, ''));
    expect(html).to.contain('<th class="offline-first">offline-first</th>');
    expect(html).to.contain('Timeline: naive');
  });

  it('lines the strategies up in columns in the text summary', () => {
    const { runs: r } = runs();
    const lines = summaryTable(r).split('\n');
    expect(lines[0]!.trim().split(/\s+/)).to.deep.equal(['none', 'naive', 'offline-first']);
    expect(lines.find((l) => l.startsWith('VMs on clients: peak'))!.trim().split(/\s+/).slice(-3)).to.deep.equal(['0/1', '1/1', '1/1']);
    const width = lines[0]!.length;
    expect(lines.every((l) => l.length <= width)).to.equal(true);
  });

  it('gives machines one JSON document per run set, with infinite numbers as null', () => {
    const { s, runs: r } = runs();
    const doc = JSON.parse(toJson(simulationDocument(s, r))) as { scenario: { name: string }; strategies: string[]; runs: Record<string, { summary: object; migrations: unknown[]; events: unknown[]; samples: unknown[] }> };
    expect(doc.scenario.name).to.equal('tiny');
    expect(doc.strategies).to.deep.equal(['none', 'naive', 'offline-first']);
    expect(doc.runs['offline-first']!.migrations).to.have.length(2);
    expect(doc.runs['offline-first']!.samples).to.have.length(61);
    expect(toJson({ a: Infinity, b: [NaN, 1] })).to.equal('{"a":null,"b":[null,1]}');
  });
});
