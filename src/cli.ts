/**
 * The `offline-first` command line: the only place that exits the process.
 * Each command lives in src/commands/ and returns an exit code.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './commands/flags.js';
import { nodeVersionProblem } from './commands/node-version.js';

interface Command {
  readonly summary: string;
  load(): Promise<{ run(args: readonly string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  predict: {
    summary: 'predict the cost of one live migration (time, bytes, downtime, convergence)',
    load: () => import('./commands/predict.js'),
  },
  run: {
    summary: 'run the operator against a cluster',
    load: () => import('./commands/run.js'),
  },
  cluster: {
    summary: 'start or stop a local cluster to try things on (control plane, simulated KubeVirt, a lab room, the operator)',
    load: () => import('./commands/cluster.js'),
  },
  simulate: {
    summary: 'simulate the operator (and a naive rebalancer) on a described cluster over a day',
    load: () => import('./commands/simulate.js'),
  },
  plan: {
    summary: 'show what the operator would do right now on a cluster (read-only)',
    load: () => import('./commands/plan.js'),
  },
  agent: {
    summary: "measure this client node's link to the data centre and publish it (the link agent)",
    load: () => import('./commands/agent.js'),
  },
  reflector: {
    summary: 'serve the link agents\' probes in the data centre (bounded load)',
    load: () => import('./commands/reflector.js'),
  },
  demo: {
    summary: 'run the lab room on a local control plane with the operator, and watch it',
    load: () => import('./commands/demo.js'),
  },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `Usage: offline-first <command> [flags]\n\nCommands:\n${rows.join('\n')}\n\nRun "offline-first <command> --help" for the flags of a command.\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    // dist/src/cli.js -> the package's package.json
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`offline-first ${pkg.version}\n`);
    return 0;
  }
  const tooOld = nodeVersionProblem(process.version);
  if (tooOld) {
    process.stderr.write(`offline-first: ${tooOld}\n`);
    return 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`offline-first: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`offline-first ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`offline-first ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`offline-first: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
