/**
 * The `meshctl` lock adapter: runs the vendor's command line
 * `meshctl experimental switch-active --kubecontext CTX --mgmt-cluster-name NAME --redis-address ADDR`
 * (Gloo docs, multicluster management plane, "CI/CD pipeline configuration" / failover step 3),
 * with a timeout, and captures exit code, stdout and stderr. Secrets never reach the result:
 * the command line holds none, and the output is redacted before it is kept.
 *
 * Idempotency: `switch-active` names the cluster that is to BE active; it is not a toggle (the
 * vendor's failback re-runs the same command with the original cluster). Re-running it after a
 * success sets the same state again, so a re-run of the step is harmless and is simply run again.
 */
import { spawn } from 'node:child_process';
import type { CommandResult, SwitchActive, SwitchActiveRequest } from '../ports.ts';

/** How long output is kept (per stream). */
const MAX_OUTPUT = 16 * 1024;

/** The documented argv of the switch (without the binary). */
export function switchActiveArgs(req: SwitchActiveRequest): string[] {
  return [
    'experimental',
    'switch-active',
    '--kubecontext',
    req.kubeContext,
    '--mgmt-cluster-name',
    req.mgmtClusterName,
    '--redis-address',
    req.redisAddress,
  ];
}

/** Removes what looks secret from command output (tokens, passwords, URL credentials). */
export function redact(text: string): string {
  return text
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, 'k8s-aws-v1.<redacted>')
    .replace(/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 <redacted>')
    .replace(/\b(password|passwd|pass|token|secret|auth)(["']?\s*[=:]\s*["']?)[^\s"',;]+/gi, '$1$2<redacted>')
    .replace(/(rediss?:\/\/)[^@\s/]+@/gi, '$1<redacted>@');
}

/** A timer that can be cancelled; injected so tests fire timeouts without waiting. */
export type Timer = (ms: number, fire: () => void) => () => void;
const realTimer: Timer = (ms, fire) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

/** Options of {@link MeshctlSwitchActive}. */
export interface MeshctlOptions {
  /** The executable: a path, or a name looked up on PATH. */
  binary: string;
  timeoutMs: number;
  /** The kubeconfig file for a server's context (AWS: written with a fresh EKS token). */
  kubeconfigFor?: (req: SwitchActiveRequest) => Promise<string | undefined>;
  /** Environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  timer?: Timer;
}

/** {@link SwitchActive} through the real (or the sandbox's fake) meshctl executable. */
export class MeshctlSwitchActive implements SwitchActive {
  private readonly o: MeshctlOptions;
  constructor(o: MeshctlOptions) {
    this.o = o;
  }

  async run(req: SwitchActiveRequest): Promise<CommandResult> {
    const args = switchActiveArgs(req);
    const kubeconfig = await this.o.kubeconfigFor?.(req);
    const env = { ...(this.o.env ?? process.env), ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
    return runCommand(this.o.binary, args, env, this.o.timeoutMs, this.o.timer ?? realTimer);
  }
}

/** Runs a command with a timeout (the whole process group is killed); never throws. */
export function runCommand(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  timer: Timer = realTimer,
): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (exitCode: number | null, signal: string | null, extra = '') => {
      if (settled) return;
      settled = true;
      cancel();
      resolve({
        argv: [binary, ...args],
        exitCode,
        signal,
        timedOut,
        stdout: redact(stdout).slice(0, MAX_OUTPUT),
        stderr: redact(stderr + extra).slice(0, MAX_OUTPUT),
        durationMs: Math.round(performance.now() - started),
      });
    };
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT * 2) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT * 2) stderr += d;
    });
    const cancel = timer(timeoutMs, () => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(null, null, `${e.code === 'ENOENT' ? `${binary}: command not found` : e.message}\n`),
    );
    child.on('close', (code, signal) =>
      finish(code, signal, timedOut ? `killed after the ${timeoutMs} ms timeout\n` : ''),
    );
  });
}
