/**
 * What the observation and the active-server signal need beyond the workflow steps' own grants:
 * - report: `ssm:GetParameter` and `ssm:PutParameter` on the ONE parameter the topology names, in
 *   each region of the topology (the signal is written in every reachable region), and read access
 *   to the webhook's HMAC key (and its CA, when a secret);
 * - preflight, confirm-reconnect and the health probe: read access to the Prometheus auth secret of
 *   any server, or `aps:QueryMetrics` on the Amazon Managed Prometheus workspace its URL names
 *   (SigV4); preflight: the relay and telemetry root CA secrets.
 * No wildcard: every resource is named.
 */
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import { grantSecret, secretRef } from './access.ts';
import { Concern } from './concern.ts';
import type { StepFunction } from './step-function.ts';

/** Props of {@link ActiveSignal}. */
export interface ActiveSignalProps {
  topology: Topology;
  deploy: DeployConfig;
  /** The functions of this stack, by key (absent ones get nothing). */
  report?: StepFunction;
  preflight?: StepFunction;
  /** The readiness function: it runs preflight as a dry run, so it reads what preflight reads. */
  readiness?: StepFunction;
  confirmReconnect?: StepFunction;
  healthProbe?: StepFunction;
}

/** The ARN of an SSM parameter whose name starts with "/" (the ARN has no second slash). */
export function parameterArn(stack: Stack, region: string, name: string): string {
  return `arn:${stack.partition}:ssm:${region}:${stack.account}:parameter${name}`;
}

/** SSM and secret grants of the active-server signal and of the observation of the servers. */
export class ActiveSignal extends Concern {
  constructor(scope: Construct, id: string, props: ActiveSignalProps) {
    super(scope, id);
    const { topology: t, deploy } = props;
    const stack = Stack.of(this);
    const secrets = new Map<string, ReturnType<typeof secretRef>>();
    const secret = (ref: string) => {
      let s = secrets.get(ref);
      if (!s) {
        s = secretRef(this, `Secret${secrets.size}`, ref);
        secrets.set(ref, s);
      }
      return s;
    };
    const grant = (fn: StepFunction | undefined, ref: string | undefined) => {
      if (fn && ref) grantSecret(secret(ref), fn, deploy);
    };

    const sig = t.activeSignal;
    if (props.report && sig.ssm) {
      const regions = [...new Set(t.servers.map((s) => s.region))].sort();
      props.report.allow(
        ['ssm:GetParameter', 'ssm:PutParameter'],
        regions.map((r) => parameterArn(stack, r, sig.ssm!.parameterName)),
      );
    }
    grant(props.report, sig.webhook?.secret);
    if (sig.webhook?.rootCa && 'secret' in sig.webhook.rootCa) grant(props.report, sig.webhook.rootCa.secret);

    for (const s of t.servers) {
      const auth = s.metrics.source === 'prometheus' ? s.metrics.auth : undefined;
      const readers = [props.preflight, props.readiness, props.confirmReconnect, props.healthProbe];
      if (auth && auth.kind !== 'sigv4') for (const fn of readers) grant(fn, auth.secret);
      // Amazon Managed Prometheus: aps:QueryMetrics on the one workspace the URL names.
      const amp =
        auth?.kind === 'sigv4' && s.metrics.source === 'prometheus'
          ? /^https:\/\/aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com\/workspaces\/(ws-[a-zA-Z0-9-]+)/.exec(
              s.metrics.url,
            )
          : null;
      if (amp)
        for (const fn of readers)
          fn?.allow(
            ['aps:QueryMetrics'],
            [`arn:${stack.partition}:aps:${amp[1]}:${stack.account}:workspace/${amp[2]}`],
          );
      // Readiness runs preflight as a dry run: it reads what preflight reads.
      for (const fn of [props.preflight, props.readiness]) {
        if (s.relayTls && 'secret' in s.relayTls.rootCa) grant(fn, s.relayTls.rootCa.secret);
        const gw = s.telemetryGateway?.tls?.rootCa;
        if (gw && 'secret' in gw) grant(fn, gw.secret);
      }
    }
  }
}
