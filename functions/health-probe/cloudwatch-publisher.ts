/** {@link MetricPublisher} on CloudWatch `PutMetricData`: high-resolution (1 s) custom metrics. */
import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { callAws } from '#lib/aws/errors.ts';
import { type MetricPublisher, PROBE_NAMESPACE, type ProbeDatum } from './health-probe.ts';

/** Publishes probe datapoints with the dimensions `ManagementCluster` and `ProbeRegion`. */
export class CloudWatchMetricPublisher implements MetricPublisher {
  private readonly client: CloudWatchClient;
  private readonly namespace: string;
  constructor(client: CloudWatchClient, namespace = PROBE_NAMESPACE) {
    this.client = client;
    this.namespace = namespace;
  }

  async publish(data: ProbeDatum[]): Promise<void> {
    if (data.length === 0) return;
    await callAws('cloudwatch:PutMetricData', () =>
      this.client.send(
        new PutMetricDataCommand({
          Namespace: this.namespace,
          MetricData: data.map((d) => ({
            MetricName: d.metric,
            Dimensions: [
              { Name: 'ManagementCluster', Value: d.cluster },
              { Name: 'ProbeRegion', Value: d.probeRegion },
            ],
            Timestamp: new Date(d.at),
            Value: d.value,
            Unit: 'Count',
            StorageResolution: 1,
          })),
        }),
      ),
    );
  }
}
