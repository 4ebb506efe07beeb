/**
 * Runs the reprotect workflow locally with aws-local-stepfunctions: the ASL that CDK deploys
 * (workflows/reprotect.ts), its Tasks resolved to the REAL reprotect handler with the sandbox's
 * ports. Waits are scaled; the approval gate (deleting the old Redis) is answered by `approve`.
 */
import './quiet.ts';
import { createHandler as reprotect } from '#functions/reprotect/handler.ts';
import { serverById, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import { buildReprotectWorkflow, type ReprotectFunctions } from '#workflows/reprotect.ts';
import { localLambdaContext } from './lambda-context.ts';
import { startLocalExecution } from './local-execution.ts';

/** Local stand-in ARNs of the reprotect workflow's functions. */
export const LOCAL_REPROTECT_FUNCTIONS: ReprotectFunctions = {
  reprotect: 'arn:aws:lambda:us-east-1:000000000000:function:local-reprotect',
  requestApproval: 'arn:aws:lambda:us-east-1:000000000000:function:local-requestApproval',
};

/** Options of {@link runReprotect}. */
export interface ReprotectRunOptions {
  topology: Topology;
  /** The server that is active now (its region keeps the primary). */
  survivorServer: string;
  input: unknown;
  ports: Ports;
  /** Wait states take `seconds * waitScale * 1000` ms (default 0.2). */
  waitScale?: number;
  /** Answers the deletion approval (default: approved). Throw to reject. */
  approve?: (payload: Record<string, unknown>) => Promise<unknown>;
  poll?: { seconds: number; maxPolls: number };
}

/** The result of a local reprotect run. */
export interface ReprotectRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  endState: string;
  output: Record<string, unknown>;
  states: string[];
  durationMs: number;
}

/** Runs one reprotect execution to its end. */
export async function runReprotect(o: ReprotectRunOptions): Promise<ReprotectRunResult> {
  const started = performance.now();
  const survivor = serverById(o.topology, o.survivorServer);
  const recovered = o.topology.servers.find((s) => s.id !== survivor.id)!;
  const definition = buildReprotectWorkflow({
    survivor: { server: survivor.id, region: survivor.region },
    recovered: { server: recovered.id, region: recovered.region },
    functions: LOCAL_REPROTECT_FUNCTIONS,
    approvals: true,
    approvalTimeoutSeconds: o.topology.approvals.timeoutSeconds,
    poll: o.poll ?? { seconds: 1, maxPolls: 60 },
  });
  const handler = reprotect({ topology: () => o.topology, ports: () => o.ports });
  const approve = o.approve ?? (async () => ({ decision: 'approved', by: 'local-auto' }));
  const execution = startLocalExecution({
    definition,
    input: o.input,
    executionId: `arn:aws:states:local:000000000000:execution:gloo-reprotect:${crypto.randomUUID()}`,
    waitScale: o.waitScale ?? 0.2,
    retryIntervalMs: 20,
    taskHandler: (_name, resource) =>
      resource.endsWith('.waitForTaskToken')
        ? async (params) => approve((params as { Payload: Record<string, unknown> }).Payload)
        : (payload) => handler(payload, localLambdaContext('reprotect')) as Promise<unknown>,
  });
  const states: string[] = [];
  let last: Record<string, unknown> = {};
  const consume = (async () => {
    for await (const ev of execution.eventLogs as AsyncIterable<{
      type: string;
      state: { name: string; output?: unknown };
    }>) {
      if (ev.type === 'StateEntered') states.push(ev.state.name);
      if (ev.type === 'StateExited' && ev.state.output && typeof ev.state.output === 'object')
        last = ev.state.output as Record<string, unknown>;
    }
  })();
  let status: ReprotectRunResult['status'] = 'SUCCEEDED';
  let output: Record<string, unknown>;
  try {
    output = (await execution.result) as Record<string, unknown>;
  } catch {
    status = 'FAILED';
    output = last;
  }
  await consume;
  return {
    status,
    endState: states.at(-1) ?? '',
    output,
    states,
    durationMs: Math.round(performance.now() - started),
  };
}
