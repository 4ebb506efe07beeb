/**
 * The region's dashboard: relay reachability and connected agents as the probe sees them, runs
 * and their durations, continuous readiness (FailoverReady and each failed check), and each step's durations and errors.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import type { FunctionKey } from '../functions.ts';
import { WORKFLOW_KEYS } from '../names.ts';
import { Concern } from './concern.ts';
import type { Probe } from './probe.ts';
import type { Readiness } from './readiness.ts';
import type { DeployedFunction } from './step-function.ts';

/** Props of {@link Dashboard}. */
export interface DashboardProps {
  topology: Topology;
  probe: Probe;
  /** Continuous readiness (graphed when given). */
  readiness?: Readiness;
  stateMachines: sfn.StateMachine[];
  /** The functions this region deploys (the workflow's are graphed). */
  functions: Partial<Record<FunctionKey, DeployedFunction>>;
}

const FIVE_MINUTES = Duration.minutes(5);

/** One CloudWatch dashboard per region. */
export class Dashboard extends Concern {
  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { topology: t, probe, stateMachines: machines } = props;
    const region = Stack.of(this).region;
    const d = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${t.name}-failover-${region}`,
      defaultInterval: Duration.hours(3),
    });
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Relay reachable from ${region} (1 = yes)`,
        left: t.servers.map((s) => probe.metric('RelayReachable', s.id, Duration.seconds(10), 'Minimum')),
        width: 12,
        leftYAxis: { min: 0, max: 1 },
      }),
      new cloudwatch.GraphWidget({
        title: `Agents connected (seen from ${region})`,
        left: [
          ...t.servers.map((s) => probe.metric('AgentsConnected', s.id, Duration.minutes(1), 'Maximum')),
          probe.agentsConnected,
        ],
        width: 12,
      }),
    );
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        left: machines.flatMap((m) => [
          m.metricStarted({ period: FIVE_MINUTES }),
          m.metricSucceeded({ period: FIVE_MINUTES }),
          m.metricFailed({ period: FIVE_MINUTES }),
        ]),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Run duration (ms)',
        left: machines.map((m) => m.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' })),
        width: 12,
      }),
    );
    if (props.readiness)
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: `Failover readiness into ${props.readiness.server} (1 = ready)`,
          left: [props.readiness.readyMetric()],
          right: props.readiness.checkMetrics(),
          leftYAxis: { min: 0, max: 1 },
          rightYAxis: { min: 0, max: 1, label: 'check failed' },
          width: 24,
        }),
      );
    const steps = WORKFLOW_KEYS.flatMap((k) => {
      const fn = props.functions[k];
      return fn ? [{ k, fn: fn.fn }] : [];
    });
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Step durations (max, ms)',
        left: steps.map(({ k, fn }) =>
          fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum', label: k }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Step errors',
        left: steps.map(({ k, fn }) => fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: k })),
        width: 12,
      }),
    );
  }
}
