/** Lambda handler of report: builds the run report from the workflow state and publishes it (SNS when configured). */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { OUTCOMES } from '#lib/outcomes.ts';
import { logger, tracer } from '#lib/powertools.ts';
import {
  CaughtError,
  DnsResult,
  LockResult,
  Plan,
  Promotion,
  Reconnect,
  ReportedRun,
  Verification,
} from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import { dnsPointerPort } from '#lib/wire/dns.ts';
import { redisLockPort } from '#lib/wire/lock.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import { buildReport, type ReportPorts, type RunReport, type RunState } from './report.ts';

/** The payload the workflow sends: everything it accumulated plus the outcome. */
export const ReportInput = z.object({
  run: ReportedRun,
  outcome: z.object({ name: z.enum(OUTCOMES), error: CaughtError.optional() }),
  plan: Plan.nullish(),
  verify: Verification.nullish(),
  approval: z
    .object({
      decision: z.string().optional(),
      by: z.string().optional(),
      byName: z.string().optional(),
      at: z.string().optional(),
      timedOut: z.boolean().optional(),
    })
    .nullish(),
  promotion: Promotion.nullish(),
  lock: LockResult.nullish(),
  dns: DnsResult.nullish(),
  reconnect: Reconnect.nullish(),
  approvalTimeoutError: CaughtError.nullish(),
});

const topicArn = process.env.NOTIFY_TOPIC_ARN;
const sns = topicArn ? tracer.captureAWSv3Client(new SNSClient({})) : undefined;

/** Publishes the report to the run-notification topic (best effort: a failed publish is logged). */
async function publish(report: RunReport): Promise<void> {
  if (!sns || !topicArn) return;
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: `[gloo-failover] ${report.outcome}: ${report.summary}`.slice(0, 99),
        Message: JSON.stringify(report, null, 2),
      }),
    );
  } catch (e) {
    logger.error('could not publish the run report', e as Error);
  }
}

/** The workflow initialises every step's slot to null; the report treats null as "did not run". */
function withoutNulls<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;
}

/** Builds the handler (options inject the topology and ports in tests and the sandbox). */
export const createHandler = (opts?: HandlerOptions<ReportPorts>) =>
  makeHandler(
    'Report',
    ReportInput,
    async (input, ctx) => {
      const report = await buildReport(withoutNulls(input) as RunState, ctx.topology, ctx.ports);
      logger.info('run report', { report });
      await publish(report);
      return report;
    },
    { ...opts, wire },
  );

/** What the report reads to say how the world looks after the run: Redis roles, the lock, DNS. */
const wire = (t: Topology): ReportPorts => ({
  clock: systemClock,
  promoter: redisPromoterPort(t, systemClock),
  lock: redisLockPort(t),
  dns: dnsPointerPort(t),
});

/** The Lambda entry point. */
export const handler = createHandler();
