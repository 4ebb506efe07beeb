/**
 * {@link DnsSwitch} of the `health-check-metric` mode, without an ARC cluster: each failover record's
 * health check is a CloudWatch-metric health check (Route 53 API reference, `HealthCheckConfig.Type`
 * CLOUDWATCH_METRIC: alarm OK = healthy, ALARM = unhealthy, insufficient data =
 * `InsufficientDataHealthStatus`) on an alarm over a metric the orchestrator publishes
 * (`OutOfService`, dimension `Server`: 1 takes the server's record out of service, 0 puts it back).
 *
 * Where the alarms live, and why (the safety argument, also in the README):
 * - The alarm of server X lives in the OTHER server's region: the region that takes over from X.
 *   A failover away from X runs in that region, so marking X out is a LOCAL call there, never a call
 *   into the failed region.
 * - Only the PRIMARY ever needs to be marked out (a healthy PRIMARY is answered; the SECONDARY only
 *   when the PRIMARY is unhealthy), so the switch marks the source out only when it is the PRIMARY,
 *   and always clears the target's mark first: the switch itself never makes both records unhealthy
 *   (Route 53 would then answer the PRIMARY).
 * - Clearing the target's mark is a call into the source's region (where the target's alarm lives);
 *   in an unplanned failover that region is down. The target's mark is normally clear (a SECONDARY is
 *   never marked out), and when Route 53 cannot get the alarm's data it applies
 *   `InsufficientDataHealthStatus`, which the CDK construct sets to **Healthy**: Unhealthy would take
 *   the survivor's record out exactly when its alarm's region fails, and LastKnownStatus would keep a
 *   stale mark. That unreachable-region case counting as "insufficient data" is not documented: an
 *   assumption in the README.
 * - The alarm keeps its state between publishes (`TreatMissingData: ignore`), so one publish holds.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { failoverAnswer } from '../dns-modes.ts';
import type {
  AlarmStateValue,
  DnsSelectRequest,
  DnsSelectResult,
  DnsSwitch,
  DnsSwitchState,
} from '../ports.ts';
import type { Region } from '../topology.ts';
import { awsErrorName, classifyAwsError } from './errors.ts';

/** Settings of {@link MetricHealthCheckSwitch}. */
export interface MetricSwitchOptions {
  namespace: string;
  metricName: string;
  /** By server id: the alarm on its metric and the alarm's region (the other server's). */
  alarms: Record<string, { alarmName: string; region: Region }>;
  pair: { primary: string; secondary: string };
  cloudWatchFor: (region: Region) => CloudWatchClient;
}

/** Out-of-service marks on CloudWatch alarms as the relay name's switch. */
export class MetricHealthCheckSwitch implements DnsSwitch {
  readonly mode = 'health-check-metric' as const;
  private readonly o: MetricSwitchOptions;
  constructor(o: MetricSwitchOptions) {
    this.o = o;
  }

  /** Each server's alarm state; an alarm that cannot be read counts as insufficient data. */
  private async alarmStates(): Promise<Record<string, { state: AlarmStateValue; error?: string }>> {
    const out: Record<string, { state: AlarmStateValue; error?: string }> = {};
    await Promise.all(
      Object.entries(this.o.alarms).map(async ([server, a]) => {
        try {
          const res = await this.o
            .cloudWatchFor(a.region)
            .send(new DescribeAlarmsCommand({ AlarmNames: [a.alarmName], AlarmTypes: ['MetricAlarm'] }));
          const v = res.MetricAlarms?.find((m) => m.AlarmName === a.alarmName)?.StateValue;
          out[server] = { state: (v as AlarmStateValue | undefined) ?? 'MISSING' };
        } catch (e) {
          out[server] = { state: 'INSUFFICIENT_DATA', error: `${awsErrorName(e)}: ${(e as Error).message}` };
        }
      }),
    );
    return out;
  }

  private show(s: Record<string, { state: AlarmStateValue; error?: string }>): string {
    return Object.entries(s)
      .map(
        ([k, v]) =>
          `${k}: ${this.o.alarms[k]!.alarmName} in ${this.o.alarms[k]!.region} ${v.error ? `unreadable (${v.error}; counts as insufficient data = healthy)` : v.state}`,
      )
      .join('; ');
  }

  async state(): Promise<DnsSwitchState> {
    const s = await this.alarmStates();
    return {
      selects: failoverAnswer(this.o.pair, (x) => s[x]?.state !== 'ALARM'),
      detail: `out-of-service alarms ${this.show(s)}`,
      record: null,
    };
  }

  private async publish(server: string, value: 0 | 1): Promise<void> {
    const a = this.o.alarms[server]!;
    await this.o.cloudWatchFor(a.region).send(
      new PutMetricDataCommand({
        Namespace: this.o.namespace,
        MetricData: [
          {
            MetricName: this.o.metricName,
            Dimensions: [{ Name: 'Server', Value: server }],
            Value: value,
            Unit: 'None',
          },
        ],
      }),
    );
  }

  async select(req: DnsSelectRequest): Promise<DnsSelectResult> {
    const s = await this.alarmStates();
    const warnings: string[] = [];
    const sourceIsPrimary = req.source === this.o.pair.primary;
    const targetClear = s[req.target]?.state !== 'ALARM';
    const sourceOut = !sourceIsPrimary || s[req.source]?.state === 'ALARM';
    if (targetClear && sourceOut) return { outcome: 'already', detail: `already: ${this.show(s)}`, warnings };
    const plan = [
      `publish ${this.o.metricName}{Server=${req.target}}=0 in ${this.o.alarms[req.target]!.region}`,
      ...(sourceIsPrimary
        ? [`publish ${this.o.metricName}{Server=${req.source}}=1 in ${this.o.alarms[req.source]!.region}`]
        : []),
    ];
    if (req.dryRun) return { outcome: 'would-change', detail: `would ${plan.join(', then ')}`, warnings };

    // Clear the target first; its alarm lives in the source's region, which may be down.
    try {
      await this.publish(req.target, 0);
    } catch (e) {
      if (!targetClear)
        throw classifyAwsError(
          e,
          `cloudwatch:PutMetricData (clear ${req.target} in ${this.o.alarms[req.target]!.region})`,
        );
      warnings.push(
        `could not clear the out-of-service mark of ${req.target} in ${this.o.alarms[req.target]!.region} (${awsErrorName(e)}); it could not be read either, and Route 53 applies InsufficientDataHealthStatus (Healthy) to an alarm it cannot read`,
      );
    }
    if (sourceIsPrimary && s[req.source]?.state !== 'ALARM') {
      try {
        await this.publish(req.source, 1);
      } catch (e) {
        throw classifyAwsError(
          e,
          `cloudwatch:PutMetricData (mark ${req.source} out in ${this.o.alarms[req.source]!.region})`,
        );
      }
    }
    return { outcome: 'changed', detail: plan.join(', then '), warnings };
  }
}
