/** The ports of the outage/recovery quorum's AWS signals: CloudWatch alarm states and Route 53 health-check metrics. */
import { cloudWatchClientFor } from '../aws/clients/cloudwatch.ts';
import { ownRegion } from '../aws/clients/defaults.ts';
import { CloudWatchAlarmStates } from '../aws/cloudwatch-alarms.ts';
import { Route53HealthCheckMetrics } from '../aws/route53-health-metrics.ts';
import type { Ports } from '../wiring.ts';

/** Alarm states from CloudWatch in this region (`DescribeAlarms`). */
export function alarmStatesPort(): Ports['alarms'] {
  return new CloudWatchAlarmStates(cloudWatchClientFor(ownRegion()));
}

/**
 * Route 53 health-check observations from their CloudWatch metrics, published in us-east-1 only
 * (not `GetHealthCheckStatus`, which is not for production use).
 */
export function healthCheckStatusesPort(): Ports['healthChecks'] {
  return new Route53HealthCheckMetrics(cloudWatchClientFor('us-east-1'));
}
