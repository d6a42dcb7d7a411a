import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nodeVersionProblem } from '../../../src/commands/node-version.js';
import { projectRoot } from '../../../src/controlplane/tools.js';

describe('the Node.js version check', () => {
  // [version, refused]
  const cases: [string, boolean][] = [
    ['v20.19.2', true],
    ['v22.18.0', true],
    ['v22.19.0', false],
    ['v23.0.0', false],
    ['v24.11.1', false],
    ['not a version', false],
  ];
  for (const [version, refused] of cases) {
    it(`${refused ? 'refuses' : 'accepts'} ${version}`, () => {
      const problem = nodeVersionProblem(version);
      if (!refused) expect(problem).to.equal(undefined);
      else expect(problem).to.contain('needs Node.js >= 22.19').and.to.contain(version).and.to.contain('npm ci');
    });
  }

  it("tells a user of the machine's old Node what to do, before anything fails inside", function () {
    const system = ['/usr/bin/node', '/usr/local/bin/node'].find(existsSync);
    const version = system ? spawnSync(system, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
    if (!system || nodeVersionProblem(version) === undefined) this.skip();
    const r = spawnSync(system!, [join(projectRoot, 'dist', 'src', 'cli.js'), 'plan'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(`offline-first: ${nodeVersionProblem(version)}`);
  });
});
