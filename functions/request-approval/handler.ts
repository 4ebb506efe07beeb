/**
 * Lambda handlers of the approval gate: `handler` (the `waitForTaskToken` Task: store the token,
 * post the Slack message) and `timeoutHandler` (the approval Task timed out: apply the policy).
 * Ports default to AWS; the sandbox and tests inject their own.
 */
import { approvalLog, awsApprovalStore, awsSlackChat } from '#lib/approvals/aws.ts';
import { ApprovalRequestSchema } from '#lib/approvals/model.ts';
import type { ApprovalLog, ApprovalStore, ChatPoster } from '#lib/approvals/ports.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { type HandlerOptions, makeHandler } from '#lib/handler.ts';
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

/** Builds the request-approval handler (input: the approval Task's Payload). */
export function buildRequestApprovalHandler(deps: ApprovalHandlerDeps = {}) {
  return makeHandler(
    'RequestApproval',
    ApprovalRequestSchema,
    async (input, { topology }) => {
      const settings = approvalSettingsFromTopology(topology);
      const ports = {
        store: deps.store ?? awsApprovalStore(),
        chat: deps.chat ?? (await awsSlackChat(topology, { withBotToken: true })),
        clock: deps.clock ?? systemClock,
        ...(deps.newId ? { newId: deps.newId } : {}),
      };
      return requestApproval(input, ports, settings);
    },
    { topology: deps.topology },
  );
}

/** Builds the timeout handler (input: {executionId, gate, direction, trigger, approvalId?}). */
export function buildApprovalTimeoutHandler(deps: ApprovalHandlerDeps = {}) {
  return makeHandler(
    'ApprovalTimeout',
    ApprovalTimeoutInputSchema,
    async (input, { topology }) => {
      const settings = approvalSettingsFromTopology(topology);
      const ports = {
        store: deps.store ?? awsApprovalStore(),
        chat: deps.chat ?? (await awsSlackChat(topology, { withBotToken: true })),
        clock: deps.clock ?? systemClock,
        log: deps.log ?? approvalLog,
      };
      return timeoutApproval(input, ports, settings);
    },
    { topology: deps.topology },
  );
}

/** The request-approval Lambda handler. */
export const handler = buildRequestApprovalHandler();
/** The approval-timeout Lambda handler. */
export const timeoutHandler = buildApprovalTimeoutHandler();
