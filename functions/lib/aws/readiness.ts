/**
 * The AWS adapters of continuous readiness: secrets readable (Secrets Manager `GetSecretValue`,
 * value dropped at once), and the verdict published as CloudWatch metrics (`PutMetricData`) and an
 * EventBridge event on the default bus (`PutEvents`; a failed entry is an error, as the EventBridge
 * user guide "Sending events with PutEvents" says failures come back per entry, not as an exception).
 */
import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { ReadinessPublisher, ReadinessReport, SecretReader } from '#functions/readiness/readiness.ts';
import { awsErrorName, callAws } from './errors.ts';

/** The CloudWatch namespace of the readiness metrics. */
export const READINESS_NAMESPACE = 'GlooFailover/Readiness';
/** The EventBridge `source` of the readiness event. */
export const READINESS_EVENT_SOURCE = 'gloo-failover.readiness';
/** The EventBridge `detail-type` of the readiness event (put on every evaluation). */
export const READINESS_EVENT_DETAIL_TYPE = 'Failover Readiness Evaluated';

/** A secret is readable when `GetSecretValue` returns a non-empty value; the value is never kept. */
export class SecretsManagerSecretReader implements SecretReader {
  private readonly client: SecretsManagerClient;
  constructor(client: SecretsManagerClient) {
    this.client = client;
  }

  async check(secretId: string): Promise<void> {
    let out: GetSecretValueCommandOutput;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (e) {
      // SDK messages name the secret and the caller, never the value.
      throw new Error(`${awsErrorName(e)}: ${(e as Error).message}`);
    }
    const empty = !out.SecretString && !(out.SecretBinary && out.SecretBinary.length > 0);
    if (empty) throw new Error('the secret has no value');
  }
}

/**
 * Publishes `FailoverReady` (1/0) and `CheckFailed` per check (1 failed, 0 ok; dimension `Check`),
 * both with dimension `Server` (the target), then one event with the checks and their reasons.
 */
export class AwsReadinessPublisher implements ReadinessPublisher {
  private readonly cloudwatch: CloudWatchClient;
  private readonly events: EventBridgeClient;
  constructor(cloudwatch: CloudWatchClient, events: EventBridgeClient) {
    this.cloudwatch = cloudwatch;
    this.events = events;
  }

  async publish(r: ReadinessReport): Promise<void> {
    const at = new Date(r.at);
    const server = { Name: 'Server', Value: r.target };
    await callAws('cloudwatch:PutMetricData', () =>
      this.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: READINESS_NAMESPACE,
          MetricData: [
            {
              MetricName: 'FailoverReady',
              Dimensions: [server],
              Timestamp: at,
              Value: r.ready ? 1 : 0,
              Unit: 'Count',
            },
            ...r.checks.map((c) => ({
              MetricName: 'CheckFailed',
              Dimensions: [server, { Name: 'Check', Value: c.name }],
              Timestamp: at,
              Value: c.ok ? 0 : 1,
              Unit: 'Count' as const,
            })),
          ],
        }),
      ),
    );
    const out = await callAws('events:PutEvents', () =>
      this.events.send(
        new PutEventsCommand({
          Entries: [
            {
              Time: at,
              Source: READINESS_EVENT_SOURCE,
              DetailType: READINESS_EVENT_DETAIL_TYPE,
              Detail: JSON.stringify(r),
            },
          ],
        }),
      ),
    );
    if (out.FailedEntryCount) {
      const e = out.Entries?.find((x) => x.ErrorCode);
      throw new Error(
        `events:PutEvents rejected the readiness event: ${e?.ErrorCode} ${e?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
