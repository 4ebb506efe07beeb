/**
 * The Amazon States Language pieces both state machines are made of (the failover/failback
 * workflow in definition.ts, reprotect in reprotect.ts): one retry policy, Lambda Tasks that
 * retry and catch, the approval callback, the run record the first state writes, and the outcome
 * tail (record the name, write the report, end in the state of that name). Each builder returns
 * the state object; the workflow files say which states there are and how they connect.
 */
import type { EndpointRef } from '#lib/state.ts';

/** One state of a definition, as ASL JSON. */
export type State = Record<string, unknown>;

/** A built state machine definition, as ASL JSON. */
export interface Definition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, State>;
}

/** Errors worth retrying with backoff: our TransientError and Lambda service hiccups. */
const TRANSIENT = [
  'TransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'States.Timeout',
];

/** The Retry of every Lambda Task: transient errors, 4 attempts with full-jitter exponential backoff. */
export const RETRY = [
  {
    ErrorEquals: TRANSIENT,
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    MaxDelaySeconds: 30,
    JitterStrategy: 'FULL',
  },
];

/** A Catch that records the error in `$.outcome.error` and goes on to `SetOutcome<outcome>`. */
export function catchTo(outcome: string, errors = ['States.ALL']) {
  return { ErrorEquals: errors, ResultPath: '$.outcome.error', Next: `SetOutcome${outcome}` };
}

/** What a Lambda Task state is made of (`parameters` omitted: the Task gets the whole state). */
export interface TaskProps {
  resource: string;
  parameters?: Record<string, unknown>;
  resultPath: string;
  timeoutSeconds: number;
  catches: State[];
  next: string;
}

/** A Lambda Task state with {@link RETRY}. */
export function lambdaTask(p: TaskProps): State {
  return {
    Type: 'Task',
    Resource: p.resource,
    ...(p.parameters ? { Parameters: p.parameters } : {}),
    ResultPath: p.resultPath,
    TimeoutSeconds: p.timeoutSeconds,
    Retry: RETRY,
    Catch: p.catches,
    Next: p.next,
  };
}

/** What an approval callback Task is made of. */
export interface ApprovalTaskProps {
  /** The ARN partition of the callback integration (default `aws`). */
  partition: string | undefined;
  /** The request-approval function, invoked with a task token. */
  functionName: string;
  payload: Record<string, unknown>;
  timeoutSeconds: number;
  catches: State[];
  next: string;
}

/** A callback Task (`lambda:invoke.waitForTaskToken`) that waits for the operator's answer into `$.approval`. */
export function approvalTask(p: ApprovalTaskProps): State {
  return {
    Type: 'Task',
    Resource: `arn:${p.partition ?? 'aws'}:states:::lambda:invoke.waitForTaskToken`,
    Parameters: { FunctionName: p.functionName, Payload: p.payload },
    ResultPath: '$.approval',
    TimeoutSeconds: p.timeoutSeconds,
    Catch: p.catches,
    Next: p.next,
  };
}

/** What the first state records about the run. */
export interface RunRecordProps {
  comment: string;
  direction: string;
  source: EndpointRef;
  target: EndpointRef;
  /** The state slots the steps write, set to null up front (`outcome` is always there). */
  slots: string[];
  next: string;
}

/** The Pass state that starts a run: `$.run` (the route, the execution and its input) and empty slots. */
export function describeRun(p: RunRecordProps): State {
  return {
    Type: 'Pass',
    Comment: p.comment,
    Parameters: {
      run: {
        direction: p.direction,
        source: p.source,
        target: p.target,
        'executionId.$': '$$.Execution.Id',
        'startedAt.$': '$$.Execution.StartTime',
        'input.$': '$',
      },
      outcome: {},
      ...Object.fromEntries(p.slots.map((slot) => [slot, null])),
    },
    Next: p.next,
  };
}

/** What the outcome tail of a state machine is made of. */
export interface OutcomeTailProps {
  /** Every end state, in the order the RouteOutcome choice lists them. */
  outcomes: readonly string[];
  /** The Cause of each end state that is a Fail; the others Succeed. */
  causes: Partial<Record<string, string>>;
  /** The WriteReport Task without its Retry, Catch and Next (they are the same in every machine). */
  report: { resource: string; parameters?: Record<string, unknown>; timeoutSeconds: number };
  /** Where RouteOutcome goes when the outcome name is none of them. */
  fallback: string;
}

/**
 * The end of a run: `SetOutcome<name>` records the name, WriteReport writes the report (its failure
 * does not change the outcome), RouteOutcome ends in the Succeed or Fail state of that name.
 */
export function outcomeTail(p: OutcomeTailProps): Record<string, State> {
  const S: Record<string, State> = {};
  for (const name of p.outcomes)
    S[`SetOutcome${name}`] = {
      Type: 'Pass',
      Result: name,
      ResultPath: '$.outcome.name',
      Next: 'WriteReport',
    };
  S.WriteReport = {
    Type: 'Task',
    Resource: p.report.resource,
    ...(p.report.parameters ? { Parameters: p.report.parameters } : {}),
    ResultPath: '$.report',
    TimeoutSeconds: p.report.timeoutSeconds,
    Retry: RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.reportError', Next: 'RouteOutcome' }],
    Next: 'RouteOutcome',
  };
  S.RouteOutcome = {
    Type: 'Choice',
    Choices: p.outcomes.map((name) => ({ Variable: '$.outcome.name', StringEquals: name, Next: name })),
    Default: p.fallback,
  };
  for (const name of p.outcomes) {
    const cause = p.causes[name];
    S[name] = cause === undefined ? { Type: 'Succeed' } : { Type: 'Fail', Error: name, Cause: cause };
  }
  return S;
}

/** The states reachable from `start` (through Next, Default, Choices and Catch), in definition order. */
export function reachable(start: string, states: Record<string, State>): Record<string, State> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name) || !states[name]) continue;
    seen.add(name);
    const st = states[name] as {
      Next?: string;
      Default?: string;
      Choices?: { Next: string }[];
      Catch?: { Next: string }[];
    };
    for (const n of [
      st.Next,
      st.Default,
      ...(st.Choices ?? []).map((c) => c.Next),
      ...(st.Catch ?? []).map((c) => c.Next),
    ])
      if (n) todo.push(n);
  }
  const out: Record<string, State> = {};
  for (const [k, v] of Object.entries(states)) if (seen.has(k)) out[k] = v;
  // Choice rules may still name pruned states only if they were reachable: nothing else to fix.
  return out;
}
