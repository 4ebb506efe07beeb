/**
 * Lambda handler of the alarm trigger (EventBridge `CloudWatch Alarm State Change` -> this function):
 * maps the event with {@link decide} and starts the failover state machine of this region with the
 * incident's deterministic execution name. A second alarm of the same incident finds the execution
 * already there (`ExecutionAlreadyExists`, or Step Functions returning the running execution for an
 * identical request): that counts as success, so one outage starts one run.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { noStepPorts } from '#lib/approvals/step-ports.ts';
import { awsErrorName, classifyAwsError } from '#lib/aws/errors.ts';
import { InvalidInput } from '#lib/errors.ts';
import { type HandlerOptions, logger, makeHandler, tracer } from '#lib/handler.ts';
import { AlarmEvent, decide } from './trigger.ts';

/** What the trigger did with one event. */
export type TriggerResult =
  | { started: true; executionArn: string; executionName: string; targetCluster: string }
  | { started: false; alreadyRunning: true; executionName: string; targetCluster: string }
  | { started: false; alreadyRunning?: false; reason: string };

/** Injectable dependencies (anything left out comes from the environment). */
export interface TriggerDeps {
  topology?: HandlerOptions['topology'];
  /** The Step Functions client (default: this region's, traced). */
  sfn?: () => SFNClient;
  /** The failover state machine of this region (default: env `FAILOVER_STATE_MACHINE_ARN`). */
  stateMachineArn?: string;
  /** The cluster this region's failover makes active (default: env `TARGET_CLUSTER`). */
  targetCluster?: string;
}

/** Starts (at most) one failover execution for an alarm event. */
export async function startFailover(
  event: unknown,
  topology: Parameters<typeof decide>[1],
  sfn: SFNClient,
  stateMachineArn: string,
  targetCluster: string,
): Promise<TriggerResult> {
  const decision = decide(event, topology);
  if (!decision.start) return { started: false, reason: decision.reason };
  // Failing over *away* from this region is the other region's stack's job.
  if (decision.targetCluster !== targetCluster)
    return {
      started: false,
      reason: `the alarm moves the management plane to ${decision.targetCluster}; this region's workflow fails over to ${targetCluster}`,
    };
  const { executionName } = decision;
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: executionName,
        input: JSON.stringify(decision.input),
      }),
    );
    logger.info('failover started', { executionName, executionArn: out.executionArn });
    return { started: true, executionArn: out.executionArn ?? '', executionName, targetCluster };
  } catch (e) {
    if (awsErrorName(e) === 'ExecutionAlreadyExists') {
      logger.info('failover already started for this incident', { executionName });
      return { started: false, alreadyRunning: true, executionName, targetCluster };
    }
    throw classifyAwsError(e, 'states:StartExecution');
  }
}

let defaultSfn: SFNClient | undefined;
/**
 * This region's Step Functions client, built once per container. Built here rather than taken from
 * `#lib/aws/clients.ts`, which would pull every AWS client into this small bundle.
 */
function sfnClient(): SFNClient {
  defaultSfn ??= tracer.captureAWSv3Client(
    new SFNClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } }),
  );
  return defaultSfn;
}

/** Builds the trigger handler. */
export function buildTriggerHandler(deps: TriggerDeps = {}) {
  return makeHandler(
    'Trigger',
    AlarmEvent,
    async (event, { topology }) => {
      const arn = deps.stateMachineArn ?? process.env.FAILOVER_STATE_MACHINE_ARN;
      const target = deps.targetCluster ?? process.env.TARGET_CLUSTER;
      if (!arn) throw new InvalidInput('FAILOVER_STATE_MACHINE_ARN is not set');
      if (!target) throw new InvalidInput('TARGET_CLUSTER is not set');
      const result = await startFailover(event, topology, (deps.sfn ?? sfnClient)(), arn, target);
      if (!result.started && !result.alreadyRunning) logger.info('no failover started', { ...result });
      return result;
    },
    { topology: deps.topology, ports: noStepPorts },
  );
}

/** The Lambda entry point (EventBridge target). */
export const handler = buildTriggerHandler();
