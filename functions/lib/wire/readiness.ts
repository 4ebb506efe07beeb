/**
 * The ports of continuous readiness on AWS: secrets readable (Secrets Manager), Slack `auth.test`
 * (bot token from its secret; `SLACK_API_URL` overrides the Web API base URL), trigger alarms with
 * their state times (CloudWatch `DescribeAlarms`), and the publisher (CloudWatch + EventBridge).
 */
import type {
  AlarmDetails,
  ReadinessPublisher,
  SecretReader,
  SlackAuth,
} from '#functions/readiness/readiness.ts';
import { awsSecret } from '../approvals/aws.ts';
import { cloudWatchClientFor } from '../aws/clients/cloudwatch.ts';
import { ownRegion } from '../aws/clients/defaults.ts';
import { eventBridgeClientFor } from '../aws/clients/eventbridge.ts';
import { secretsManagerClientFor } from '../aws/clients/secrets-manager.ts';
import { CloudWatchAlarmStates } from '../aws/cloudwatch-alarms.ts';
import { AwsReadinessPublisher, SecretsManagerSecretReader } from '../aws/readiness.ts';
import { slackAuthTest } from '../slack/auth.ts';

/** Reads each secret afresh (`GetSecretValue`, uncached: a revoked permission shows at once). */
export function secretReaderPort(): SecretReader {
  return new SecretsManagerSecretReader(secretsManagerClientFor(ownRegion()));
}

/** Slack `auth.test` with the topology's bot token. */
export function slackAuthPort(): SlackAuth {
  return slackAuthTest({
    readToken: awsSecret,
    ...(process.env.SLACK_API_URL ? { slackApiUrl: process.env.SLACK_API_URL } : {}),
  });
}

/** Trigger alarms in this region with the time of their last state change. */
export function alarmDetailsPort(): AlarmDetails {
  return new CloudWatchAlarmStates(cloudWatchClientFor(ownRegion()));
}

/** `FailoverReady` and `CheckFailed` metrics, and the readiness event on the default bus. */
export function readinessPublisherPort(): ReadinessPublisher {
  return new AwsReadinessPublisher(cloudWatchClientFor(ownRegion()), eventBridgeClientFor(ownRegion()));
}
