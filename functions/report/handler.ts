/**
 * Lambda handler of report: builds the run report from the workflow state, stores its page in S3
 * (`REPORT_BUCKET`) and publishes it with the page's presigned link to SNS (`NOTIFY_TOPIC_ARN`) and
 * Slack (`REPORT_SLACK_CHANNEL`, the topology's bot token). Each destination is on only when its
 * variable is set (the CDK stack sets them; the sandbox leaves them out or injects its own).
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { cachedSecretReader } from '#lib/approvals/secrets.ts';
import { ownRegion } from '#lib/aws/clients/defaults.ts';
import { s3ClientFor } from '#lib/aws/clients/s3.ts';
import { secretsManagerClientFor } from '#lib/aws/clients/secrets-manager.ts';
import { snsClientFor } from '#lib/aws/clients/sns.ts';
import { S3ReportPageStore } from '#lib/aws/report-pages.ts';
import { systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import { OUTCOMES } from '#lib/outcomes.ts';
import { logger } from '#lib/powertools.ts';
import { SlackChatPoster } from '#lib/slack/chat.ts';
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
import { activeSignalPorts } from '#lib/wire/active-signal.ts';
import { dnsAnswersPort, dnsSwitchPort } from '#lib/wire/dns.ts';
import { redisLockPort } from '#lib/wire/lock.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import * as z from '#lib/z.ts';
import { publishReport, type ReportDestinations } from './publish.ts';
import { buildReport, type ReportPorts, type RunState } from './report.ts';
import { signalAfterRun } from './signal.ts';

/** The payload the workflow sends: everything it accumulated plus the outcome. */
export const ReportInput = z.object({
  run: ReportedRun,
  outcome: z.object({ name: z.enum(OUTCOMES), error: z.optional(CaughtError) }),
  plan: z.nullish(Plan),
  verify: z.nullish(Verification),
  approval: z.nullish(
    z.object({
      decision: z.optional(z.string()),
      by: z.optional(z.string()),
      byName: z.optional(z.string()),
      at: z.optional(z.string()),
      timedOut: z.optional(z.boolean()),
    }),
  ),
  promotion: z.nullish(Promotion),
  lock: z.nullish(LockResult),
  dns: z.nullish(DnsResult),
  reconnect: z.nullish(Reconnect),
  approvalTimeoutError: z.nullish(CaughtError),
});

/** Default link lifetime: 12 hours (capped by the role session that signs it). */
const DEFAULT_LINK_SECONDS = 43_200;

let readSecret: ((name: string) => Promise<string>) | undefined;

/** The destinations the environment turns on (AWS). */
export function destinationsFromEnv(t: Topology, env = process.env): ReportDestinations {
  const to: ReportDestinations = { log: { error: (m, e) => logger.error(m, e as Error) } };
  if (env.REPORT_BUCKET)
    to.pages = new S3ReportPageStore(
      s3ClientFor(ownRegion()),
      env.REPORT_BUCKET,
      Number(env.REPORT_LINK_EXPIRY_SECONDS ?? DEFAULT_LINK_SECONDS),
    );
  const topicArn = env.NOTIFY_TOPIC_ARN;
  if (topicArn) {
    const client = snsClientFor(ownRegion());
    to.topic = {
      publish: async (Subject, Message) => {
        await client.send(new PublishCommand({ TopicArn: topicArn, Subject, Message }));
      },
    };
  }
  const channel = env.REPORT_SLACK_CHANNEL;
  const slack = t.approvals.slack;
  if (channel && slack)
    to.slack = {
      post: async (text, blocks) => {
        readSecret ??= cachedSecretReader(secretsManagerClientFor(ownRegion()));
        const token = await readSecret(slack.botTokenSecret);
        const base = env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {};
        await new SlackChatPoster({ ...base, token }).post(channel, text, blocks);
      },
    };
  return to;
}

/** The workflow initialises every step's slot to null; the report treats null as "did not run". */
function withoutNulls<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;
}

/** Builds the handler (options inject the topology and ports in tests and the sandbox; `destinations` the report's destinations). */
export const createHandler = (
  opts?: HandlerOptions<ReportPorts>,
  destinations?: (t: Topology) => ReportDestinations,
) =>
  makeHandler(
    'Report',
    ReportInput,
    async (input, ctx) => {
      const state = withoutNulls(input) as RunState;
      const report = await buildReport(state, ctx.topology, ctx.ports);
      await signalAfterRun(report, state, ctx.topology, ctx.ports.signal);
      logger.info('run report', { report });
      return publishReport(report, (destinations ?? destinationsFromEnv)(ctx.topology));
    },
    { ...opts, wire },
  );

/** What the report reads to say how the world looks after the run: Redis roles, the lock, DNS. */
const wire = (t: Topology): ReportPorts => ({
  clock: systemClock,
  promoter: redisPromoterPort(t, systemClock),
  lock: redisLockPort(t),
  dnsSwitch: dnsSwitchPort(t),
  dnsAnswers: dnsAnswersPort(t),
  ...(t.activeSignal.ssm || t.activeSignal.webhook ? { signal: activeSignalPorts(systemClock) } : {}),
});

/** The Lambda entry point. */
export const handler = createHandler();
