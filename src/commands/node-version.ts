/**
 * The Node.js the command runs on: the project needs >= 22.19 (undici, the HTTP client, uses newer
 * APIs and fails deep inside otherwise). Checked first, so an old Node gets the fix, not a stack.
 */
export const MINIMUM_NODE = { major: 22, minor: 19 } as const;

/** The message for a Node.js that is too old (`v20.19.2`), or undefined when it will do. */
export function nodeVersionProblem(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)) return undefined;
  return (
    `needs Node.js >= ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor}, and this is ${version}. ` +
    'Run it through npm, which uses the Node 24 that `npm ci` puts in node_modules (npm start, npm run cluster, npx offline-first ...), or install Node.js 24 LTS.'
  );
}
