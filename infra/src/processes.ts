/** Stopping the child processes infra starts (broker, redis-server, apps), the same way everywhere. */
import type { ChildProcess } from 'node:child_process';

/** Resolves true once the process has exited, false when `timeoutMs` passed first. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * SIGTERM (so the process can shut down cleanly), then SIGKILL when it has not exited after
 * `graceMs`. `onKill` is told when it had to be killed.
 */
export async function stopChild(child: ChildProcess, graceMs: number, onKill?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  onKill?.();
  child.kill('SIGKILL');
  await waitForExit(child, 5_000);
}
