/**
 * Lambda Function URL handler of the Slack interactivity endpoint: decodes the event (base64 bodies
 * included) and calls {@link handleSlackCallback}. Ports default to AWS (DynamoDB token table, Step
 * Functions, response_url over fetch; the signing secret from Secrets Manager); tests and the
 * sandbox inject their own.
 */

import {
  approvalLog,
  awsApprovalStore,
  awsSlackChat,
  awsTaskCallbacks,
  slackSigningSecret,
} from '#lib/approvals/aws.ts';
import type { ApprovalLog, ApprovalStore, ChatPoster, TaskCallbacks } from '#lib/approvals/ports.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { InvalidTopology } from '#lib/errors.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import type { Topology } from '#lib/topology.ts';
import * as z from '#lib/z.ts';
import { type FunctionUrlResponse, handleSlackCallback, type SlackCallbackPorts } from './slack-callback.ts';

/** The parts of a Lambda Function URL event (payload format 2.0) the callback reads. */
export const FunctionUrlEventSchema = z.object({
  headers: z._default(z.record(z.string(), z.string()), {}),
  body: z.optional(z.string()),
  isBase64Encoded: z._default(z.boolean(), false),
});

/** Injectable dependencies (anything left out is built for AWS from the topology and env). */
export interface SlackCallbackDeps {
  topology?: HandlerOptions['topology'];
  store?: ApprovalStore;
  callbacks?: TaskCallbacks;
  chat?: Pick<ChatPoster, 'respond'>;
  /** The signing secret, or how to get it (default: the Secrets Manager secret of the topology). */
  signingSecret?: string | ((t: Topology) => Promise<string>);
  clock?: Clock;
  log?: ApprovalLog;
  deadline?: SlackCallbackPorts['deadline'];
  updateBudgetMs?: number;
}

/** Builds the Function URL handler. */
export function buildSlackCallbackHandler(deps: SlackCallbackDeps = {}) {
  return makeHandler(
    'SlackCallback',
    FunctionUrlEventSchema,
    async (event, { topology }): Promise<FunctionUrlResponse> => {
      const slack = topology.approvals.slack;
      if (!slack) throw new InvalidTopology('approvals.slack is not configured: no Slack approvals possible');
      const now = (deps.clock ?? systemClock).now();
      const rawBody = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      const signingSecret =
        typeof deps.signingSecret === 'string'
          ? deps.signingSecret
          : await (deps.signingSecret ?? slackSigningSecret)(topology);
      const ports: SlackCallbackPorts = {
        store: deps.store ?? awsApprovalStore(),
        callbacks: deps.callbacks ?? awsTaskCallbacks(),
        chat: deps.chat ?? (await awsSlackChat(topology, { withBotToken: false })),
        log: deps.log ?? approvalLog,
        ...(deps.deadline ? { deadline: deps.deadline } : {}),
      };
      return handleSlackCallback({ headers: event.headers, rawBody, now }, ports, {
        signingSecret,
        approvers: slack.approvers,
        ...(deps.updateBudgetMs !== undefined ? { updateBudgetMs: deps.updateBudgetMs } : {}),
      });
    },
    { topology: deps.topology },
  );
}

/** The slack-callback Lambda handler (Function URL, auth type NONE: the Slack signature is the auth). */
export const handler = buildSlackCallbackHandler();
