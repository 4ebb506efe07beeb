/**
 * {@link AlarmStates} over CloudWatch `DescribeAlarms` (metric and composite alarms). The API
 * reference (DescribeAlarms): "To use this operation and return information about composite alarms,
 * you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *": the
 * stack grants it on `*` (read-only; acknowledged in cdk-nag), because operators often name a
 * composite alarm (several signals combined) as the one that means "this server is down".
 */
import { type CloudWatchClient, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import type { AlarmDetail, AlarmDetails } from '#functions/readiness/readiness.ts';
import type { AlarmStates, AlarmStateValue } from '../ports.ts';
import { classifyAwsError } from './errors.ts';

/** `DescribeAlarms` accepts at most 100 names per call. */
const NAMES_PER_CALL = 100;

const KNOWN: readonly string[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

/** Current state of named CloudWatch alarms; a name CloudWatch does not return is `MISSING`. */
export class CloudWatchAlarmStates implements AlarmStates, AlarmDetails {
  private readonly client: CloudWatchClient;
  constructor(client: CloudWatchClient) {
    this.client = client;
  }

  async states(alarmNames: string[]): Promise<Record<string, AlarmStateValue>> {
    const d = await this.details(alarmNames);
    return Object.fromEntries(Object.entries(d).map(([n, x]) => [n, x.state]));
  }

  /** State and `StateUpdatedTimestamp` (the start of the current state) of each named alarm. */
  async details(alarmNames: string[]): Promise<Record<string, AlarmDetail>> {
    const names = [...new Set(alarmNames)];
    const out: Record<string, AlarmDetail> = Object.fromEntries(
      names.map((n) => [n, { state: 'MISSING' as const }]),
    );
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const chunk = names.slice(i, i + NAMES_PER_CALL);
      try {
        for await (const page of paginateDescribeAlarms(
          { client: this.client },
          { AlarmNames: chunk, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
        )) {
          for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])
            if (a.AlarmName && a.AlarmName in out && a.StateValue && KNOWN.includes(a.StateValue))
              out[a.AlarmName] = {
                state: a.StateValue as AlarmStateValue,
                ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.getTime() } : {}),
              };
        }
      } catch (e) {
        throw classifyAwsError(e, 'cloudwatch:DescribeAlarms');
      }
    }
    return out;
  }
}
