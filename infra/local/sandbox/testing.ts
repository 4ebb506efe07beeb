/**
 * Vitest helpers for the sandbox: cleanup is registered before the test body runs on, so a failing
 * test still stops every process and port. Kept apart from index.ts so that the drill and the
 * benchmark do not load vitest.
 */
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from './index.ts';

/** Starts a sandbox for the current test; it is stopped when the test finishes, pass or fail. */
export async function useSandbox(opts?: SandboxOptions): Promise<Sandbox> {
  const sandbox = await startSandbox(opts);
  onTestFinished(() => sandbox.stop());
  return sandbox;
}

/** One sandbox for a whole `describe` block (beforeAll / afterAll); call the getter inside tests. */
export function sharedSandbox(opts?: SandboxOptions): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox(opts);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });
  return () => {
    if (!sandbox) throw new Error('sharedSandbox: the sandbox did not start (see beforeAll)');
    return sandbox;
  };
}
