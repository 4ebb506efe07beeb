/**
 * The sandbox's CloudWatch stand-in, one per region, in the AWS JSON protocol CloudWatch speaks
 * (`GraniteServiceVersion20100801`): `PutMetricData` and `DescribeAlarms` for the out-of-service
 * alarms of the `health-check-metric` DNS mode, so the product's MetricHealthCheckSwitch runs with
 * the real SDK client. An alarm watches one metric (Maximum >= 1 -> ALARM, else OK) and takes its new
 * state one evaluation period after a datapoint; it starts INSUFFICIENT_DATA and keeps its state when
 * no data arrives (`TreatMissingData: ignore`). Killing the region stops its endpoint.
 */
import { type AwsJsonEndpoint, AwsJsonError, startAwsJsonEndpoint } from './aws-json.ts';

/** An alarm on `namespace/metricName{Server=server}`. */
export interface OutOfServiceAlarm {
  alarmName: string;
  namespace: string;
  metricName: string;
  server: string;
}

/** A running regional stand-in. */
export interface CloudWatchStandIn {
  region: string;
  endpoint: AwsJsonEndpoint;
  /** The alarm's state now (what DescribeAlarms answers). */
  alarmState(name: string): 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | undefined;
  close(): Promise<void>;
}

/** Starts the stand-in for `region` on `host`. */
export async function startCloudWatch(
  region: string,
  host: string,
  alarms: OutOfServiceAlarm[],
  evaluationMs: number,
): Promise<CloudWatchStandIn> {
  const state = new Map<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>(
    alarms.map((a) => [a.alarmName, 'INSUFFICIENT_DATA']),
  );
  const timers = new Set<NodeJS.Timeout>();
  const endpoint = await startAwsJsonEndpoint(host, (operation, body) => {
    if (operation === 'PutMetricData') {
      const ns = body.Namespace;
      for (const d of (body.MetricData as {
        MetricName?: string;
        Dimensions?: { Name: string; Value: string }[];
        Value?: number;
      }[]) ?? []) {
        const server = d.Dimensions?.find((x) => x.Name === 'Server')?.Value;
        for (const a of alarms)
          if (a.namespace === ns && a.metricName === d.MetricName && a.server === server) {
            const next = (d.Value ?? 0) >= 1 ? 'ALARM' : 'OK';
            const t = setTimeout(() => {
              timers.delete(t);
              state.set(a.alarmName, next);
            }, evaluationMs);
            timers.add(t);
          }
      }
      return {};
    }
    if (operation === 'DescribeAlarms') {
      const names = (body.AlarmNames as string[] | undefined) ?? alarms.map((a) => a.alarmName);
      return {
        MetricAlarms: alarms
          .filter((a) => names.includes(a.alarmName))
          .map((a) => ({
            AlarmName: a.alarmName,
            Namespace: a.namespace,
            MetricName: a.metricName,
            StateValue: state.get(a.alarmName),
            TreatMissingData: 'ignore',
          })),
      };
    }
    throw new AwsJsonError('InvalidAction', `the sandbox CloudWatch does not serve ${operation}`);
  });
  return {
    region,
    endpoint,
    alarmState: (name) => state.get(name),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await endpoint.stop();
    },
  };
}
