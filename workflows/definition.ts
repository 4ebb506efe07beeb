/**
 * The failover workflow in Amazon States Language (JSONPath), built from ONE definition for both
 * directions. `failover` (source -> target, verify the outage) and `failback` (back to the home
 * cluster, verify the recovery) differ only in the regions, the verification step and the gate
 * name; a test proves they mirror each other. Lambda ARNs are parameters, so the same object is
 * deployed by CDK, validated by asl-validator and run locally by aws-local-stepfunctions.
 *
 * Saga shape: nothing changes before the first switch step (every earlier failure ends with
 * "nothing changed"). A failover overlaps (see {@link defaultOrder}): RepointDns, then the
 * promotion while the record propagates, then the lock; a failure of the DNS change ends
 * DnsChangeFailed (nothing else changed), of the promotion PromotionFailed (DNS already on the
 * target, the lock not moved). A failback is strict: promotion, lock, DNS. After the promotion, a
 * failure ends HaltedAfterPromotion, and a re-run converges because every step reads state first
 * and is idempotent (preflight sees Redis promoted and skips straight to the first switch step).
 */
import { FAIL_OUTCOMES, SUCCEED_OUTCOMES } from '#lib/outcomes.ts';
import type { EndpointRef } from '#lib/state.ts';
import {
  approvalTask,
  catchTo,
  type Definition,
  describeRun,
  lambdaTask,
  outcomeTail,
  reachable,
  type State,
} from './asl.ts';

/** The functions a workflow invokes, in a fixed order (CDK and the local runner iterate over them). */
export const WORKFLOW_FUNCTION_KEYS = [
  'preflight',
  'verifyOutage',
  'verifyRecovered',
  'promoteRedis',
  'switchLock',
  'repointDns',
  'confirmReconnect',
  'report',
  'requestApproval',
] as const;

/** Lambda ARNs (or local names) of each step. */
export type WorkflowFunctions = Record<(typeof WORKFLOW_FUNCTION_KEYS)[number], string>;

/** Polling bounds: Wait seconds between polls and how many polls before giving up. */
export interface PollBounds {
  seconds: number;
  maxPolls: number;
}

/**
 * How the switch steps are ordered. `overlapped`: repoint DNS, promote Redis, switch the lock (the
 * record propagates and agents retry while Redis is promoted). `strict`: promote Redis, switch the
 * lock, repoint DNS. Reconnection is polled right after the last of them in both.
 */
export type SwitchOrder = 'overlapped' | 'strict';

/**
 * Failover overlaps (the source is verified down: agents that reach the target early retry, no
 * one is served by it before; the vendor's runbook switches DNS first). Failback keeps the strict
 * order: its source is healthy and serving, and DNS first would move agents off a working writer
 * onto a server whose Redis is still a read-only replica. A `before-dns` gate also keeps the strict
 * order: the operator asked to approve the DNS change after seeing the promotion.
 */
export function defaultOrder(direction: 'failover' | 'failback', gates: readonly string[]): SwitchOrder {
  return direction === 'failover' && !gates.includes('before-dns') ? 'overlapped' : 'strict';
}

/** Everything that shapes a workflow. */
export interface WorkflowOptions {
  direction: 'failover' | 'failback';
  source: EndpointRef;
  target: EndpointRef;
  functions: WorkflowFunctions;
  /**
   * The topology's `configMode` (default `write-to-all`, as the topology's). `write-to-all` has no
   * lock state at all: promotion goes straight on to DNS. `write-to-one` has `SwitchGlobalLock`
   * (the lock adapter) between them.
   */
  configMode?: 'write-to-all' | 'write-to-one';
  /** Approval gates from the topology (`before-promotion` applies to failover, `before-failback` to failback). */
  gates: readonly ('before-promotion' | 'before-dns' | 'before-failback')[];
  approval: { timeoutSeconds: number; onTimeout: 'reject' | 'proceed-if-alarm' };
  promotion?: PollBounds;
  /** The switch order (default: {@link defaultOrder}). */
  order?: SwitchOrder;
  /** From topology.reconnection: pollIntervalSeconds and ceil(timeoutSeconds / pollIntervalSeconds). */
  reconnect: PollBounds;
  /** TimeoutSeconds of the lock Task (write-to-one; default 30). */
  lockTimeoutSeconds?: number;
  /** TimeoutSeconds of the verification Task (probe attempts x interval plus margin). */
  verifyTimeoutSeconds?: number;
  /**
   * The AWS partition of service-integration ARNs (`aws`, `aws-us-gov`, `aws-cn`). CDK passes a
   * `${partition}` placeholder substituted with the stack's partition. @default 'aws' (local runs)
   */
  partition?: string;
}

const FAIL_CAUSES: Record<(typeof FAIL_OUTCOMES)[number], string> = {
  InvalidInput: 'The execution input is invalid; nothing changed. See the report in the execution output.',
  TargetNotReady: 'The target is not ready to take over; nothing changed. See the report.',
  PromotionFailed:
    'Redis promotion failed or timed out; the lock was not switched (in an overlapped failover the relay DNS record was already repointed to the target). See the report.',
  DnsChangeFailed:
    'The relay DNS record could not be repointed; Redis was not promoted and the lock did not move. See the report for where the record points.',
  HaltedAfterPromotion:
    'Redis was promoted, then a later step failed. Fix the cause and re-run or redrive: the run converges. See the report.',
  ReconnectIncomplete:
    'Lock and DNS were switched, but not every expected agent reconnected. The report names them.',
};

/** Builds the ASL definition object. */
export function buildWorkflow(o: WorkflowOptions): Definition {
  const fn = o.functions;
  const isFailover = o.direction === 'failover';
  const promotion = o.promotion ?? { seconds: 15, maxPolls: 40 };
  const verifyName = isFailover ? 'VerifySourceOutage' : 'VerifyTargetRecovered';
  const notConfirmed = isFailover ? 'OutageNotConfirmed' : 'RecoveryNotConfirmed';
  const firstGate = isFailover ? 'before-promotion' : 'before-failback';
  const overlapped = (o.order ?? defaultOrder(o.direction, o.gates)) === 'overlapped';
  const firstSwitch = overlapped ? 'RepointDns' : 'StartRedisPromotion';
  const writeToOne = o.configMode === 'write-to-one';
  const S: Record<string, State> = {};

  S.DescribeRun = describeRun({
    comment: `${o.direction}: ${o.source.server} (${o.source.region}) -> ${o.target.server} (${o.target.region})`,
    direction: o.direction,
    source: o.source,
    target: o.target,
    slots: ['plan', 'verify', 'approval', 'promotion', 'lock', 'dns', 'reconnect'],
    next: 'RunPreflight',
  });

  S.RunPreflight = lambdaTask({
    resource: fn.preflight,
    parameters: { 'run.$': '$.run' },
    resultPath: '$.plan',
    timeoutSeconds: 60,
    catches: [catchTo('InvalidInput', ['InvalidInput']), catchTo('TargetNotReady')],
    next: 'CheckAlreadyActive',
  });
  S.CheckAlreadyActive = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.plan.alreadyActive', BooleanEquals: true, Next: 'SetOutcomeAlreadyActive' },
      // A re-run after the point of no return: Redis is already promoted, go straight on (every
      // switch step is idempotent: what is done already is a no-op).
      { Variable: '$.plan.redisPromoted', BooleanEquals: true, Next: firstSwitch },
    ],
    Default: verifyName,
  };

  const afterVerify = o.gates.includes(firstGate) ? 'ApproveSwitch' : firstSwitch;
  S[verifyName] = lambdaTask({
    resource: isFailover ? fn.verifyOutage : fn.verifyRecovered,
    parameters: { 'run.$': '$.run' },
    resultPath: '$.verify',
    timeoutSeconds: o.verifyTimeoutSeconds ?? 120,
    catches: [catchTo(notConfirmed)],
    next: afterVerify,
  });

  // Approval gates: a callback Task; rejection and timeout end the run with nothing changed
  // (unless the policy proceeds on timeout for alarm-triggered runs).
  const gate = (name: string, gateId: string, next: string, changes: string) => {
    S[name] = approvalTask({
      partition: o.partition,
      functionName: fn.requestApproval,
      payload: {
        'taskToken.$': '$$.Task.Token',
        gate: gateId,
        'executionId.$': '$$.Execution.Id',
        direction: o.direction,
        'trigger.$': '$.plan.trigger',
        'incidentId.$': '$.run.input.incidentId',
        'dryRun.$': '$.plan.dryRun',
        'detachRedis.$': '$.plan.detachRedis',
        source: o.source,
        target: o.target,
        // The whole slot, never a path into it: $.verify is null on the re-run path, and a path
        // into null is a States.Runtime error that no Catch handles (request-approval reads it).
        'verify.$': '$.verify',
        // Preflight always ran before a gate: $.plan is set.
        'warnings.$': '$.plan.warnings',
        changes: [changes],
      },
      timeoutSeconds: o.approval.timeoutSeconds,
      catches: [
        catchTo('Rejected', ['ApprovalRejected']),
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.outcome.error', Next: `Record${name}Timeout` },
        catchTo('Rejected'),
      ],
      next,
    });
    // As request-approval's timeoutOutcome: only an alarm-triggered FAILOVER may proceed unanswered.
    const proceed = o.approval.onTimeout === 'proceed-if-alarm' && isFailover;
    const afterTimeout = proceed ? `Decide${name}Timeout` : 'SetOutcomeRejected';
    S[`Record${name}Timeout`] = lambdaTask({
      resource: fn.requestApproval,
      parameters: {
        action: 'timeout',
        gate: gateId,
        'executionId.$': '$$.Execution.Id',
        'trigger.$': '$.plan.trigger',
        onTimeout: o.approval.onTimeout,
      },
      resultPath: '$.approval',
      timeoutSeconds: 30,
      catches: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.approvalTimeoutError', Next: afterTimeout }],
      next: afterTimeout,
    });
    if (proceed)
      S[`Decide${name}Timeout`] = {
        Type: 'Choice',
        Choices: [{ Variable: '$.plan.trigger', StringEquals: 'alarm', Next: next }],
        Default: 'SetOutcomeRejected',
      };
  };
  if (o.gates.includes(firstGate))
    gate(
      'ApproveSwitch',
      firstGate,
      firstSwitch,
      writeToOne
        ? `promote Redis in ${o.target.region}, move the global lock to ${o.target.server}, repoint DNS to ${o.target.server}; then YOU switch the CI/CD pipeline to ${o.target.server} (write-to-one)`
        : `promote Redis in ${o.target.region}, repoint DNS to ${o.target.server} (write-to-all: no lock to move, no CI/CD change)`,
    );

  // The switch. Overlapped (failover): DNS first, as the vendor's runbook does, then the
  // promotion while the record propagates, then the lock; strict (failback, or a before-dns gate):
  // promotion, lock, DNS. Either way the lock moves only after the promotion, and reconnection is
  // polled as soon as the last switch step is done, without waiting for DNS INSYNC.
  // write-to-all has no lock state: the promotion goes on to what would follow the lock.
  const afterLock = overlapped
    ? 'CheckDryRun'
    : o.gates.includes('before-dns')
      ? 'ApproveDnsChange'
      : 'RepointDns';
  const afterPromotion = writeToOne ? 'SwitchGlobalLock' : afterLock;

  S.RepointDns = lambdaTask({
    resource: fn.repointDns,
    parameters: { action: 'change', 'run.$': '$.run' },
    resultPath: '$.dns',
    timeoutSeconds: 60,
    catches: [catchTo(overlapped ? 'DnsChangeFailed' : 'HaltedAfterPromotion')],
    next: overlapped ? 'StartRedisPromotion' : 'CheckDryRun',
  });

  // Promotion: start, then poll with Wait + Choice, bounded.
  S.StartRedisPromotion = lambdaTask({
    resource: fn.promoteRedis,
    parameters: { action: 'start', 'run.$': '$.run' },
    resultPath: '$.promotion',
    timeoutSeconds: 120,
    catches: [catchTo('PromotionFailed')],
    next: 'CheckRedisPromotion',
  });
  S.CheckRedisPromotion = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.promotion.state', StringEquals: 'complete', Next: afterPromotion },
      { Variable: '$.promotion.state', StringEquals: 'noop', Next: afterPromotion },
      { Variable: '$.promotion.state', StringEquals: 'would-promote', Next: afterPromotion },
      {
        Variable: '$.promotion.polls',
        NumericGreaterThanEquals: promotion.maxPolls,
        Next: 'SetOutcomePromotionFailed',
      },
    ],
    Default: 'WaitForRedisPromotion',
  };
  S.WaitForRedisPromotion = { Type: 'Wait', Seconds: promotion.seconds, Next: 'PollRedisPromotion' };
  S.PollRedisPromotion = lambdaTask({
    resource: fn.promoteRedis,
    parameters: { action: 'poll', 'run.$': '$.run', 'promotion.$': '$.promotion' },
    resultPath: '$.promotion',
    timeoutSeconds: 60,
    catches: [catchTo('PromotionFailed')],
    next: 'CheckRedisPromotion',
  });

  // write-to-one only: the lock adapter (meshctl's timeout is the topology's, plus a margin).
  if (writeToOne)
    S.SwitchGlobalLock = lambdaTask({
      resource: fn.switchLock,
      parameters: { 'run.$': '$.run', 'plan.$': '$.plan' },
      resultPath: '$.lock',
      timeoutSeconds: o.lockTimeoutSeconds ?? 30,
      catches: [catchTo('HaltedAfterPromotion')],
      next: afterLock,
    });
  if (!overlapped && o.gates.includes('before-dns'))
    gate(
      'ApproveDnsChange',
      'before-dns',
      'RepointDns',
      `repoint the relay DNS record to ${o.target.server}`,
    );

  S.CheckDryRun = {
    Type: 'Choice',
    Choices: [{ Variable: '$.plan.dryRun', BooleanEquals: true, Next: 'SetOutcomeDryRunComplete' }],
    Default: 'ConfirmAgentsReconnected',
  };
  S.ConfirmAgentsReconnected = lambdaTask({
    resource: fn.confirmReconnect,
    parameters: { 'run.$': '$.run', 'plan.$': '$.plan', 'reconnect.$': '$.reconnect' },
    resultPath: '$.reconnect',
    timeoutSeconds: 60,
    catches: [catchTo('ReconnectIncomplete')],
    next: 'CheckReconnection',
  });
  S.CheckReconnection = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.reconnect.done', BooleanEquals: true, Next: 'RecordDnsChangeStatus' },
      { Variable: '$.reconnect.final', BooleanEquals: true, Next: 'SetOutcomeReconnectIncomplete' },
    ],
    Default: 'WaitForAgents',
  };
  S.WaitForAgents = { Type: 'Wait', Seconds: o.reconnect.seconds, Next: 'ConfirmAgentsReconnected' };
  // For the report: where Route 53 has got to (INSYNC by now, normally). Informational: a failed
  // read does not change the outcome.
  S.RecordDnsChangeStatus = lambdaTask({
    resource: fn.repointDns,
    parameters: { action: 'poll', 'run.$': '$.run', 'dns.$': '$.dns' },
    resultPath: '$.dns',
    timeoutSeconds: 30,
    catches: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'SetOutcomeFailedOver' }],
    next: 'SetOutcomeFailedOver',
  });

  // Outcomes: record the name, write the report, end in the state of that name.
  const outcomes = [...SUCCEED_OUTCOMES, ...FAIL_OUTCOMES].filter(
    (x) => x !== (isFailover ? 'RecoveryNotConfirmed' : 'OutageNotConfirmed'),
  );
  Object.assign(
    S,
    outcomeTail({
      outcomes,
      causes: FAIL_CAUSES,
      report: { resource: fn.report, timeoutSeconds: 60 },
      fallback: 'HaltedAfterPromotion',
    }),
  );

  return {
    Comment: `Gloo management plane ${o.direction}: ${o.source.server} (${o.source.region}) -> ${o.target.server} (${o.target.region}). Built by workflows/definition.ts.`,
    StartAt: 'DescribeRun',
    TimeoutSeconds: 6 * 3600,
    // Step Functions refuses unreachable states: drop outcomes nothing leads to (e.g. Rejected without gates).
    States: reachable('DescribeRun', S),
  };
}
