/**
 * Synchronous clean-up hooks for when the runner is interrupted (SIGINT/SIGTERM): a finally
 * block never runs then, and leftover QEMUs or namespaces would skew or block the next run.
 */
const hooks = new Set<() => void>();

/** Registers a hook; call the returned function once the resource is gone by normal means. */
export function onAbort(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Runs every hook (each at most once), newest first, ignoring their errors. */
export function runAbortHooks(): void {
  for (const hook of [...hooks].reverse()) {
    hooks.delete(hook);
    try {
      hook();
    } catch {
      // Best effort: the process is going away.
    }
  }
}
