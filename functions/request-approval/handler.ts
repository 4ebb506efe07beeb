/**
 * Lambda handler of the approval gate. One function, two entries: the `waitForTaskToken` Task's
 * Payload (store the token, post the Slack message) and `{action: 'timeout', ...}` after that Task
 * timed out (apply the policy, update the message). Ports default to AWS; the sandbox and tests
 * inject their own.
 */
import type { Context } from 'aws-lambda';
import { approvalLog, awsApprovalStore, awsSlackChat } from '#lib/approvals/aws.ts';
import { ApprovalRequestSchema } from '#lib/approvals/model.ts';
import type { ApprovalLog, ApprovalStore, ChatPoster } from '#lib/approvals/ports.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
import type { Topology } from '#lib/topology.ts';
import {
  ApprovalTimeoutInputSchema,
  approvalSettingsFromTopology,
  requestApproval,
  timeoutApproval,
} from './request-approval.ts';

/** Injectable dependencies of the approval handlers (anything left out is built for AWS). */
export interface ApprovalHandlerDeps {
  topology?: HandlerOptions['topology'];
  store?: ApprovalStore;
  chat?: ChatPoster;
  clock?: Clock;
  newId?: () => string;
  log?: ApprovalLog;
}

async function chatFor(deps: ApprovalHandlerDeps, topology: Topology): Promise<ChatPoster> {
  return deps.chat ?? awsSlackChat(topology, { withBotToken: true });
}

/** Builds the request-approval handler (input: the approval Task's Payload). */
export function buildRequestApprovalHandler(deps: ApprovalHandlerDeps = {}) {
  return makeHandler(
    'RequestApproval',
    ApprovalRequestSchema,
    async (input, { topology }) =>
      requestApproval(
        input,
        {
          store: deps.store ?? awsApprovalStore(),
          chat: await chatFor(deps, topology),
          clock: deps.clock ?? systemClock,
          ...(deps.newId ? { newId: deps.newId } : {}),
        },
        approvalSettingsFromTopology(topology),
      ),
    { topology: deps.topology },
  );
}

/** Builds the timeout handler (input: {action: 'timeout', executionId, gate, trigger, ...}). */
export function buildApprovalTimeoutHandler(deps: ApprovalHandlerDeps = {}) {
  return makeHandler(
    'ApprovalTimeout',
    ApprovalTimeoutInputSchema,
    async (input, { topology }) =>
      timeoutApproval(
        input,
        {
          store: deps.store ?? awsApprovalStore(),
          chat: await chatFor(deps, topology),
          clock: deps.clock ?? systemClock,
          log: deps.log ?? approvalLog,
        },
        approvalSettingsFromTopology(topology),
      ),
    { topology: deps.topology },
  );
}

/** Builds the function's entry point: `action: 'timeout'` goes to the timeout handler, the rest requests. */
export function buildApprovalHandler(deps: ApprovalHandlerDeps = {}) {
  const request = buildRequestApprovalHandler(deps);
  const timeout = buildApprovalTimeoutHandler(deps);
  return (event: unknown, context: Context): Promise<unknown> =>
    (event as { action?: unknown } | null)?.action === 'timeout'
      ? timeout(event, context)
      : request(event, context);
}

/** The approval Lambda handler (request and timeout). */
export const handler = buildApprovalHandler();
