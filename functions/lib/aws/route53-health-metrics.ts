/**
 * {@link HealthCheckStatuses} from the health checks' CloudWatch metrics, not from
 * `GetHealthCheckStatus` (Route 53 API reference: "intended for use during development to diagnose
 * behavior. It doesn't support production use-cases"). Route 53 publishes `AWS/Route53`
 * `HealthCheckPercentageHealthy` (the share of checkers that see the endpoint healthy) per
 * `HealthCheckId`, in us-east-1 only ("Monitoring health checks using CloudWatch"): so this signal is
 * read from us-east-1, and when us-east-1 (or the metric) cannot be read the quorum's signal abstains.
 */
import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../clock.ts';
import type { HealthCheckStatuses } from '../ports.ts';
import { callAws } from './errors.ts';

/** How far back a datapoint may be and still count (the metric has a one-minute period). */
const LOOKBACK_MS = 5 * 60_000;

/** The latest `HealthCheckPercentageHealthy` datapoint, as healthy per 100 checkers. */
export class Route53HealthCheckMetrics implements HealthCheckStatuses {
  private readonly client: CloudWatchClient;
  private readonly clock: Pick<Clock, 'now'>;
  /** `client` must be a CloudWatch client in us-east-1 (where Route 53 publishes the metrics). */
  constructor(client: CloudWatchClient, clock: Pick<Clock, 'now'> = { now: () => Date.now() }) {
    this.client = client;
    this.clock = clock;
  }

  async observations(healthCheckId: string): Promise<{ healthy: number; total: number }> {
    const end = this.clock.now();
    const out = await callAws('cloudwatch:GetMetricData', () =>
      this.client.send(
        new GetMetricDataCommand({
          StartTime: new Date(end - LOOKBACK_MS),
          EndTime: new Date(end),
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'healthy',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/Route53',
                  MetricName: 'HealthCheckPercentageHealthy',
                  Dimensions: [{ Name: 'HealthCheckId', Value: healthCheckId }],
                },
                Period: 60,
                Stat: 'Average',
              },
            },
          ],
        }),
      ),
    );
    const r = out.MetricDataResults?.find((x) => x.Id === 'healthy');
    const latest = r?.Values?.[0];
    // No datapoint in the window: nothing to say (the signal abstains on total 0).
    if (latest === undefined) return { healthy: 0, total: 0 };
    return { healthy: Math.round(latest), total: 100 };
  }
}
