/**
 * Runs a workflow locally with aws-local-stepfunctions: the same ASL that CDK deploys, every Task
 * resolved to the REAL handler (same middy chain, input parsing and step core), with the ports of
 * the sandbox injected. Waits are scaled; approval tasks are resolved by a pluggable policy.
 */
import './quiet.ts';
import type { Context } from 'aws-lambda';
import { createHandler as confirmReconnect } from '#functions/confirm-reconnect/handler.ts';
import { createHandler as preflight } from '#functions/preflight/handler.ts';
import { createHandler as promoteRedis } from '#functions/promote-redis/handler.ts';
import { createHandler as repointDns } from '#functions/repoint-dns/handler.ts';
import { createHandler as report } from '#functions/report/handler.ts';
import { createHandler as switchLock } from '#functions/switch-lock/handler.ts';
import { createHandler as verifyOutage } from '#functions/verify-outage/handler.ts';
import { createHandler as verifyRecovered } from '#functions/verify-recovered/handler.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import {
  WORKFLOW_FUNCTION_KEYS,
  type WorkflowFunctions,
  type WorkflowOptions,
} from '#workflows/definition.ts';
import { workflowFor } from '#workflows/from-topology.ts';
import { localLambdaContext } from './lambda-context.ts';
import { type LocalTaskHandler, startLocalExecution } from './local-execution.ts';

/** Local stand-in ARNs, one per function (the local runner maps them back to handlers). */
export const LOCAL_FUNCTIONS: WorkflowFunctions = Object.fromEntries(
  WORKFLOW_FUNCTION_KEYS.map((k) => [k, `arn:aws:lambda:us-east-1:000000000000:function:local-${k}`]),
) as WorkflowFunctions;

type Fn = LocalTaskHandler;

/** The fields of aws-local-stepfunctions' event log entries that the runner reads (the type is not exported). */
interface EngineEvent {
  type: string;
  timestamp: number;
  state: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: string;
}

/** What the runner reports as the run goes. */
export interface TimelineEvent {
  at: number;
  kind:
    | 'state-entered'
    | 'state-exited'
    | 'state-failed'
    | 'state-retried'
    | 'state-caught'
    | 'execution-ended';
  state?: string;
  type?: string;
  error?: string;
  cause?: string;
  output?: unknown;
}

/** How approval gates are answered locally: return the SendTaskSuccess output, or throw an Error named `ApprovalRejected` / `States.Timeout`. */
export type ApprovalResolver = (payload: Record<string, unknown>) => Promise<unknown>;

/** Options of {@link runWorkflow}. */
export interface LocalRunOptions {
  topology: Topology;
  direction: 'failover' | 'failback';
  /** The cluster that becomes active (ignored for failback: always the home cluster). */
  targetServer: string;
  input: unknown;
  ports: Ports;
  /** Wait states take `seconds * waitScale * 1000` ms (default 0.2: a 1 s Wait takes 200 ms). */
  waitScale?: number;
  /** Retry intervals in ms (default 20). */
  retryIntervalMs?: number;
  approve?: ApprovalResolver;
  /** Called when an approval gate times out (the `timeout` action of request-approval); default returns `{ timedOut: true }`. */
  onApprovalTimeout?: Fn;
  /** Replace a state's handler (fault injection in tests). */
  overrides?: Record<string, Fn>;
  workflow?: Partial<WorkflowOptions>;
  executionId?: string;
  onEvent?: (e: TimelineEvent) => void;
}

/** The result of a local run. */
export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  /** The terminal state (the outcome), e.g. `FailedOver`. */
  endState: string;
  /** The state data at the end (for Fail states: as it was when the report was written). */
  output: Record<string, unknown>;
  transitions: number;
  events: TimelineEvent[];
  durationMs: number;
  /**
   * The largest state input or output of the run, in UTF-8 bytes of its JSON: Step Functions ends a
   * run whose state passes 262,144 bytes with States.DataLimitExceeded, which no Catch handles.
   */
  maxStateBytes: number;
  definition: ReturnType<typeof workflowFor>;
}

/** Runs one execution to its end. */
export async function runWorkflow(o: LocalRunOptions): Promise<LocalRunResult> {
  const started = performance.now();
  // The sandbox's Redis settles in well under a second: poll it every (scaled) second.
  const sandboxPolls = o.topology.sandbox ? { promotion: { seconds: 1, maxPolls: 30 } } : {};
  const definition = workflowFor(
    o.topology,
    { direction: o.direction, targetServer: o.targetServer },
    LOCAL_FUNCTIONS,
    { ...sandboxPolls, ...o.workflow },
  );
  const hopts = { topology: () => o.topology, ports: () => o.ports };
  const real: Record<keyof WorkflowFunctions, Fn> = {
    preflight: wrap('preflight', preflight(hopts)),
    verifyOutage: wrap('verify-outage', verifyOutage(hopts)),
    verifyRecovered: wrap('verify-recovered', verifyRecovered(hopts)),
    promoteRedis: wrap('promote-redis', promoteRedis(hopts)),
    switchLock: wrap('switch-lock', switchLock(hopts)),
    repointDns: wrap('repoint-dns', repointDns(hopts)),
    confirmReconnect: wrap('confirm-reconnect', confirmReconnect(hopts)),
    report: wrap('report', report(hopts)),
    requestApproval: async (p) => (o.onApprovalTimeout ?? (async () => ({ timedOut: true })))(p),
  };
  const byArn = new Map(
    Object.entries(LOCAL_FUNCTIONS).map(([k, arn]) => [arn, real[k as keyof WorkflowFunctions]]),
  );

  const approvalTask: Fn = async (params) => {
    const payload = (params as { Payload: Record<string, unknown> }).Payload;
    if (!o.approve)
      return { decision: 'approved', by: 'local-auto', byName: 'auto-approve', at: new Date().toISOString() };
    return o.approve(payload);
  };

  const failures = new Map<string, Error>();
  const executionId =
    o.executionId ?? `arn:aws:states:local:000000000000:execution:gloo-${o.direction}:${crypto.randomUUID()}`;
  const execution = startLocalExecution({
    definition,
    input: o.input,
    executionId,
    waitScale: o.waitScale ?? 0.2,
    retryIntervalMs: o.retryIntervalMs ?? 20,
    taskHandler: (name, resource) => {
      const inner =
        o.overrides?.[name] ?? (resource.endsWith('.waitForTaskToken') ? approvalTask : byArn.get(resource)!);
      // Remember each state's last error: the engine's "caught" event does not carry it.
      return async (p) => {
        try {
          return await inner(p);
        } catch (e) {
          failures.set(name, e as Error);
          throw e;
        }
      };
    },
  });

  const events: TimelineEvent[] = [];
  let transitions = 0;
  let lastState = '';
  let lastOutput: Record<string, unknown> = {};
  let lastFailure: TimelineEvent | undefined;
  let maxStateBytes = 0;
  const consume = (async () => {
    for await (const ev of execution.eventLogs as AsyncIterable<EngineEvent>) {
      const e: TimelineEvent | null =
        ev.type === 'StateEntered'
          ? { at: ev.timestamp, kind: 'state-entered', state: ev.state.name, type: ev.state.type }
          : ev.type === 'StateExited'
            ? {
                at: ev.timestamp,
                kind: 'state-exited',
                state: ev.state.name,
                type: ev.state.type,
                output: ev.state.output,
              }
            : ev.type === 'StateFailed'
              ? {
                  at: ev.timestamp,
                  kind: 'state-failed',
                  state: ev.state.name,
                  error: ev.Error,
                  cause: ev.Cause,
                }
              : ev.type === 'StateRetried'
                ? { at: ev.timestamp, kind: 'state-retried', state: ev.state.name, error: ev.Error }
                : ev.type === 'StateCaught'
                  ? {
                      at: ev.timestamp,
                      kind: 'state-caught',
                      state: ev.state.name,
                      error: failures.get(ev.state.name)?.name ?? lastFailure?.error,
                      cause: failures.get(ev.state.name)?.message ?? lastFailure?.cause,
                    }
                  : null;
      if (ev.state)
        maxStateBytes = Math.max(maxStateBytes, jsonBytes(ev.state.input), jsonBytes(ev.state.output));
      if (!e) continue;
      if (e.kind === 'state-failed') lastFailure = e;
      if (e.kind === 'state-entered') {
        transitions++;
        lastState = e.state!;
      }
      if (e.kind === 'state-exited' && e.output && typeof e.output === 'object')
        lastOutput = e.output as Record<string, unknown>;
      events.push(e);
      o.onEvent?.(e);
    }
  })();

  let status: LocalRunResult['status'] = 'SUCCEEDED';
  let output: Record<string, unknown>;
  try {
    output = (await execution.result) as Record<string, unknown>;
  } catch (err) {
    status = 'FAILED';
    output = lastOutput;
    const e = err as Error;
    events.push({ at: Date.now(), kind: 'execution-ended', error: e.name, cause: e.message });
  }
  await consume;
  o.onEvent?.({ at: Date.now(), kind: 'execution-ended', state: lastState });
  await recordRun(o, {
    name: executionId.split(':').pop() ?? executionId,
    direction: o.direction,
    status,
    outcome: lastState,
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    stoppedAt: new Date().toISOString(),
  });
  return {
    status,
    endState: lastState,
    output,
    transitions,
    events,
    durationMs: Math.round(performance.now() - started),
    maxStateBytes,
    definition,
  };
}

function jsonBytes(v: unknown): number {
  return v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v), 'utf8');
}

/** Records the run in the sandbox's execution history (best effort), as Step Functions keeps it in AWS. */
async function recordRun(o: LocalRunOptions, run: Record<string, string>): Promise<void> {
  const url = o.topology.sandbox?.controlUrl;
  if (!url) return;
  const server = o.direction === 'failback' ? o.topology.homeServer : o.targetServer;
  await fetch(`${url}/runs/${encodeURIComponent(server)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(run),
    signal: AbortSignal.timeout(1_000),
  }).catch(() => undefined);
}

function wrap(name: string, handler: (event: unknown, context: Context) => Promise<unknown>): Fn {
  return (payload) => handler(payload, localLambdaContext(name));
}
