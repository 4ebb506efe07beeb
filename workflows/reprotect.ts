/**
 * The reprotect workflow (a third state machine, deployed in each region; run in the region that is
 * active now): rebuild the shared Redis's replication from the survivor to the recovered region
 * after a forced detach, then record the new datastore where every step reads it. Same style as
 * definition.ts: JSONPath, Lambda ARNs as parameters, failures as data, every end state named.
 *
 *   DescribeRun -> PlanReprotection -> [ApproveOldRedisDeletion when oldRedis = delete]
 *     -> AdvanceReprotection <-> WaitForReprotection (bounded) -> SetOutcome* -> WriteReport -> end
 */

import { type REPROTECT_FAILURES, REPROTECT_OUTCOMES } from '#functions/reprotect/reprotect.ts';
import type { EndpointRef } from '#lib/state.ts';
import * as asl from './asl.ts';

/** The functions the reprotect workflow invokes. */
export const REPROTECT_FUNCTION_KEYS = ['reprotect', 'requestApproval'] as const;
/** Lambda ARNs (or local names) of its steps. */
export type ReprotectFunctions = Record<(typeof REPROTECT_FUNCTION_KEYS)[number], string>;

/** Everything that shapes the reprotect workflow. */
export interface ReprotectWorkflowOptions {
  /** The survivor: active now, stays primary (the region this state machine runs in). */
  survivor: EndpointRef;
  /** The recovered region: gets the new secondary. */
  recovered: EndpointRef;
  functions: ReprotectFunctions;
  /** Whether approvals are configured (deleting the old Redis requires one; plan refuses otherwise). */
  approvals: boolean;
  approvalTimeoutSeconds: number;
  /** Wait between polls and how many (creating a global datastore and a secondary takes minutes). */
  poll?: { seconds: number; maxPolls: number };
  /** The ARN partition of the callback integration (`aws`, `aws-us-gov`, `aws-cn`, or a deploy-time placeholder). */
  partition?: string;
}

const CAUSES: Record<(typeof REPROTECT_FAILURES)[number], string> = {
  InvalidInput: 'The execution input is invalid; nothing changed. See the report in the execution output.',
  ReprotectFailed:
    'Re-protection did not finish; nothing was recorded. Every step reads first: a re-run with the same input continues. See the report.',
};

/** Builds the ASL of the reprotect workflow. */
export function buildReprotectWorkflow(o: ReprotectWorkflowOptions): asl.Definition {
  const fn = o.functions.reprotect;
  const poll = o.poll ?? { seconds: 30, maxPolls: 120 };
  const S: Record<string, asl.State> = {};

  S.DescribeRun = asl.describeRun({
    comment: `re-protect: ${o.survivor.server} (${o.survivor.region}) -> new secondary in ${o.recovered.region}`,
    direction: 'reprotect',
    source: o.recovered,
    target: o.survivor,
    slots: ['plan', 'approval', 'reprotect'],
    next: 'PlanReprotection',
  });
  S.PlanReprotection = asl.lambdaTask({
    resource: fn,
    parameters: { action: 'plan', 'run.$': '$.run' },
    resultPath: '$.plan',
    timeoutSeconds: 60,
    catches: [asl.catchTo('InvalidInput', ['InvalidInput']), asl.catchTo('ReprotectFailed')],
    next: 'CheckPlan',
  });
  S.CheckPlan = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.plan.alreadyProtected', BooleanEquals: true, Next: 'SetOutcomeAlreadyProtected' },
      ...(o.approvals
        ? [{ Variable: '$.plan.approvalNeeded', BooleanEquals: true, Next: 'ApproveOldRedisDeletion' }]
        : []),
    ],
    Default: 'AdvanceReprotection',
  };
  if (o.approvals)
    S.ApproveOldRedisDeletion = asl.approvalTask({
      partition: o.partition,
      functionName: o.functions.requestApproval,
      payload: {
        'taskToken.$': '$$.Task.Token',
        gate: 'before-old-redis-delete',
        'executionId.$': '$$.Execution.Id',
        direction: 'reprotect',
        trigger: 'manual',
        'incidentId.$': '$.plan.input.incidentId',
        'dryRun.$': '$.plan.input.dryRun',
        source: o.recovered,
        target: o.survivor,
        evidence: [],
        changes: [
          `IRREVERSIBLE: delete the old Redis in ${o.recovered.region} (ElastiCache: DeleteReplicationGroup with a final snapshot; self-managed: its own keys are discarded by REPLICAOF), then create a new secondary of ${o.survivor.region} there`,
        ],
      },
      timeoutSeconds: o.approvalTimeoutSeconds,
      // Destructive: an unanswered or failed approval never proceeds.
      catches: [asl.catchTo('Rejected')],
      next: 'AdvanceReprotection',
    });
  S.AdvanceReprotection = asl.lambdaTask({
    resource: fn,
    parameters: { action: 'advance', 'run.$': '$.run', 'plan.$': '$.plan', 'reprotect.$': '$.reprotect' },
    resultPath: '$.reprotect',
    timeoutSeconds: 120,
    catches: [asl.catchTo('ReprotectFailed')],
    next: 'CheckReprotection',
  });
  S.CheckReprotection = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.reprotect.state', StringEquals: 'complete', Next: 'SetOutcomeReprotected' },
      { Variable: '$.reprotect.state', StringEquals: 'would-reprotect', Next: 'SetOutcomeDryRunComplete' },
      {
        Variable: '$.reprotect.polls',
        NumericGreaterThanEquals: poll.maxPolls,
        Next: 'SetOutcomeReprotectFailed',
      },
    ],
    Default: 'WaitForReprotection',
  };
  S.WaitForReprotection = { Type: 'Wait', Seconds: poll.seconds, Next: 'AdvanceReprotection' };

  Object.assign(
    S,
    asl.outcomeTail({
      outcomes: REPROTECT_OUTCOMES,
      causes: CAUSES,
      report: {
        resource: fn,
        parameters: {
          action: 'report',
          'run.$': '$.run',
          'outcome.$': '$.outcome',
          'plan.$': '$.plan',
          'reprotect.$': '$.reprotect',
        },
        timeoutSeconds: 60,
      },
      fallback: 'ReprotectFailed',
    }),
  );

  return {
    Comment: `Gloo management plane Redis re-protection: ${o.survivor.server} (${o.survivor.region}) keeps the primary, a new secondary in ${o.recovered.region}. Built by workflows/reprotect.ts.`,
    StartAt: 'DescribeRun',
    TimeoutSeconds: 12 * 3600,
    States: asl.reachable('DescribeRun', S),
  };
}
