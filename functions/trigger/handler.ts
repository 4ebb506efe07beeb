/**
 * Lambda handler of the alarm trigger (EventBridge `CloudWatch Alarm State Change` -> this function):
 * maps the event with {@link decide} and starts the failover state machine of this region with the
 * incident's deterministic execution name. A second alarm of the same incident finds the execution
 * already there (`ExecutionAlreadyExists`, or Step Functions returning the running execution for an
 * identical request): that counts as success, so one outage starts one run.
 *
 * Execution names are unique for 90 days, so a run that already ENDED (a blip judged
 * `OutageNotConfirmed`, a rejected approval) would otherwise block the incident window. When the
 * alarm went to ALARM again after that run stopped, the next attempt name (`<name>-r2`, `-r3` ...)
 * is started; a late duplicate of the event that started the ended run starts nothing.
 */
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ownRegion } from '#lib/aws/clients/defaults.ts';
import { sfnClientFor } from '#lib/aws/clients/sfn.ts';
import { awsErrorName, classifyAwsError } from '#lib/aws/errors.ts';
import { InvalidInput } from '#lib/errors.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { logger } from '#lib/powertools.ts';
import { AlarmEvent, decide } from './trigger.ts';

/** What the trigger did with one event. */
export type TriggerResult =
  | { started: true; executionArn: string; executionName: string; targetServer: string }
  | { started: false; alreadyRunning: true; executionName: string; targetServer: string }
  | { started: false; alreadyRunning?: false; reason: string; executionName?: string };

/** Runs started for one incident window at most (the first name and `-r2` ... `-r5`). */
export const MAX_ATTEMPTS_PER_INCIDENT = 5;

/** The execution name of an incident's n-th attempt (1-based); at most 80 characters. */
export function attemptName(executionName: string, attempt: number): string {
  return attempt === 1 ? executionName.slice(0, 80) : `${executionName.slice(0, 76)}-r${attempt}`;
}

/** Injectable dependencies (anything left out comes from the environment). */
export interface TriggerDeps {
  topology?: HandlerOptions['topology'];
  /** The Step Functions client (default: this region's). */
  sfn?: () => SFNClient;
  /** The failover state machine of this region (default: env `FAILOVER_STATE_MACHINE_ARN`). */
  stateMachineArn?: string;
  /** The cluster this region's failover makes active (default: env `TARGET_SERVER`). */
  targetServer?: string;
}

/** Starts (at most) one failover execution for an alarm event. */
export async function startFailover(
  event: unknown,
  topology: Parameters<typeof decide>[1],
  sfn: SFNClient,
  stateMachineArn: string,
  targetServer: string,
): Promise<TriggerResult> {
  const decision = decide(event, topology);
  if (!decision.start) return { started: false, reason: decision.reason };
  // Failing over *away* from this region is the other region's stack's job.
  if (decision.targetServer !== targetServer)
    return {
      started: false,
      reason: `the alarm moves the management plane to ${decision.targetServer}; this region's workflow fails over to ${targetServer}`,
    };
  const alarmAt = parseAlarmTime(event);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_INCIDENT; attempt++) {
    const executionName = attemptName(decision.executionName, attempt);
    try {
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: executionName,
          input: JSON.stringify(decision.input),
        }),
      );
      logger.info('failover started', { executionName, executionArn: out.executionArn });
      return { started: true, executionArn: out.executionArn ?? '', executionName, targetServer };
    } catch (e) {
      if (awsErrorName(e) !== 'ExecutionAlreadyExists') throw classifyAwsError(e, 'states:StartExecution');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    let existing: { status?: string; stopDate?: Date };
    try {
      existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (e) {
      throw classifyAwsError(e, 'states:DescribeExecution');
    }
    if (existing.status === 'RUNNING' || existing.status === 'PENDING_REDRIVE') {
      logger.info('failover already running for this incident', { executionName });
      return { started: false, alreadyRunning: true, executionName, targetServer };
    }
    // Ended: only an alarm that went to ALARM after the run stopped deserves another run.
    if (!existing.stopDate || alarmAt <= existing.stopDate.getTime()) {
      logger.info('this alarm was already handled by an ended run', {
        executionName,
        status: existing.status,
      });
      return {
        started: false,
        reason: `the run ${executionName} for this incident already handled this alarm (${existing.status})`,
        executionName,
      };
    }
  }
  return {
    started: false,
    reason: `already ${MAX_ATTEMPTS_PER_INCIDENT} runs for incident ${decision.input.incidentId}: start the next one by hand`,
  };
}

/** When the alarm went to its state (ms since the epoch); the event's time when unreadable. */
function parseAlarmTime(event: unknown): number {
  const ev = event as { time?: string; detail?: { state?: { timestamp?: string } } };
  const ts = ev.detail?.state?.timestamp?.replace(/\+0000$/, 'Z');
  return (ts && Date.parse(ts)) || Date.parse(ev.time ?? '') || Date.now();
}

/** Builds the trigger handler. */
export function buildTriggerHandler(deps: TriggerDeps = {}) {
  return makeHandler(
    'Trigger',
    AlarmEvent,
    async (event, { topology }) => {
      const arn = deps.stateMachineArn ?? process.env.FAILOVER_STATE_MACHINE_ARN;
      const target = deps.targetServer ?? process.env.TARGET_SERVER;
      if (!arn) throw new InvalidInput('FAILOVER_STATE_MACHINE_ARN is not set');
      if (!target) throw new InvalidInput('TARGET_SERVER is not set');
      const result = await startFailover(
        event,
        topology,
        (deps.sfn ?? (() => sfnClientFor(ownRegion())))(),
        arn,
        target,
      );
      if (!result.started && !result.alreadyRunning) logger.info('no failover started', { ...result });
      return result;
    },
    { topology: deps.topology },
  );
}

/** The Lambda entry point (EventBridge target). */
export const handler = buildTriggerHandler();
