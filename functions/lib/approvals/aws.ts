/**
 * The approval ports on AWS, built once per container: DynamoDB token table (`APPROVALS_TABLE`),
 * Step Functions callbacks, Slack (bot token and signing secret from the Secrets Manager secrets
 * named in `topology.approvals.slack`; `SLACK_API_URL` overrides the Web API base URL).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { InvalidInput, InvalidTopology } from '../errors.ts';
import { logger } from '../powertools.ts';
import { SlackChatPoster } from '../slack/chat.ts';
import type { Topology } from '../topology.ts';
import { DynamoDbApprovalStore } from './dynamodb-store.ts';
import type { ApprovalLog, ApprovalStore, ChatPoster, TaskCallbacks } from './ports.ts';
import { cachedSecretReader } from './secrets.ts';
import { SfnTaskCallbacks } from './sfn-callbacks.ts';

let store: ApprovalStore | undefined;
let callbacks: TaskCallbacks | undefined;
let readSecret: ((name: string) => Promise<string>) | undefined;
let responder: ChatPoster | undefined;
let botChat: { token: string; chat: ChatPoster } | undefined;

function slackSection(t: Topology) {
  const slack = t.approvals.slack;
  if (!slack) throw new InvalidTopology('approvals.slack is not configured: no Slack approvals possible');
  return slack;
}

/** The DynamoDB token table named by `APPROVALS_TABLE`. */
export function awsApprovalStore(): ApprovalStore {
  if (store) return store;
  const table = process.env.APPROVALS_TABLE;
  if (!table) throw new InvalidInput('APPROVALS_TABLE is not set: the approvals token table is unknown');
  store = new DynamoDbApprovalStore(
    new DynamoDBClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 300, requestTimeout: 800 } }),
    table,
  );
  return store;
}

/** SendTaskSuccess / SendTaskFailure, with short timeouts so the Slack callback answers within 3 s. */
export function awsTaskCallbacks(): TaskCallbacks {
  callbacks ??= new SfnTaskCallbacks(
    new SFNClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 300, requestTimeout: 800 } }),
  );
  return callbacks;
}

/** Reads a secret (cached for 5 minutes). */
export function awsSecret(name: string): Promise<string> {
  readSecret ??= cachedSecretReader(new SecretsManagerClient({ maxAttempts: 3 }));
  return readSecret(name);
}

/** The Slack bot token of the topology. */
export function slackBotToken(t: Topology): Promise<string> {
  return awsSecret(slackSection(t).botTokenSecret);
}

/** The Slack signing secret of the topology. */
export function slackSigningSecret(t: Topology): Promise<string> {
  return awsSecret(slackSection(t).signingSecret);
}

/** Slack messaging with the bot token (post/update) or without it (response_url only). */
export async function awsSlackChat(t: Topology, opts: { withBotToken: boolean }): Promise<ChatPoster> {
  const base = process.env.SLACK_API_URL ? { slackApiUrl: process.env.SLACK_API_URL } : {};
  if (!opts.withBotToken) {
    responder ??= new SlackChatPoster({ ...base, timeoutMs: 1_500 });
    return responder;
  }
  const token = await slackBotToken(t);
  // Rebuilt only when the token changed (rotation): WebClient keeps its connections warm.
  if (botChat?.token !== token) botChat = { token, chat: new SlackChatPoster({ ...base, token }) };
  return botChat.chat;
}

/** The Powertools logger as an {@link ApprovalLog}. */
export const approvalLog: ApprovalLog = {
  info: (message, extra) => logger.info(message, { ...extra }),
  warn: (message, extra) => logger.warn(message, { ...extra }),
  error: (message, extra) => logger.error(message, { ...extra }),
};
