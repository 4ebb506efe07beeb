/** The ports of the outage/recovery quorum's AWS signals: CloudWatch alarm states and Route 53 health checks. */
import { cloudWatchClientFor } from '../aws/clients/cloudwatch.ts';
import { ownRegion } from '../aws/clients/defaults.ts';
import { route53Client } from '../aws/clients/route53.ts';
import { CloudWatchAlarmStates } from '../aws/cloudwatch-alarms.ts';
import { Route53HealthCheckStatuses } from '../aws/route53-health.ts';
import type { Ports } from '../wiring.ts';

/** Alarm states from CloudWatch in this region (`DescribeAlarms`). */
export function alarmStatesPort(): Ports['alarms'] {
  return new CloudWatchAlarmStates(cloudWatchClientFor(ownRegion()));
}

/** Route 53 health-check observations (`GetHealthCheckStatus`). */
export function healthCheckStatusesPort(): Ports['healthChecks'] {
  return new Route53HealthCheckStatuses(route53Client(ownRegion()));
}
