/**
 * {@link DnsSwitch} of the `arc-routing-control` mode: each failover record's health check follows an
 * ARC routing control; the switch turns the target's control On and the source's Off in ONE
 * `UpdateRoutingControlStates` call (one transaction: the cluster evaluates its safety rules on the
 * result, so an assertion rule such as "at least one On" never sees a half-done switch).
 *
 * Endpoints (ARC Developer Guide, "Getting and updating routing control states using the ARC API"):
 * the cluster has five regional endpoints and at least three are always accessible; an endpoint may
 * be unavailable (maintenance, or its region is down), so each call tries them in turn, starting at a
 * random one as the guide's examples do. An endpoint that does not answer, answers
 * `EndpointTemporarilyUnavailableException`, `InternalServerException`, `ThrottlingException` or
 * `ConflictException` ("try again") -> the next endpoint. Any other answer is the cluster's verdict
 * and is not asked again elsewhere.
 *
 * Safety rules ("Overriding safety rules to reroute traffic"): when an assertion or gating rule
 * blocks the update, the error names the rule's ARN. The switch never overrides a rule
 * (`SafetyRulesToOverride` is never sent): it ends with `DnsSwitchRefused` naming the rule, and an
 * operator decides (break glass by hand).
 *
 * Lost responses: a state update is absolute (On/Off), so repeating it on the next endpoint after a
 * timeout is harmless; the SDK's own retries are off (`maxAttempts: 1`), the rotation is the retry.
 */
import {
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import { failoverAnswer } from '../dns-modes.ts';
import { DnsSwitchRefused, TransientError } from '../errors.ts';
import type { DnsSelectRequest, DnsSelectResult, DnsSwitch, DnsSwitchState } from '../ports.ts';
import { awsErrorDetails, awsErrorName, isThrottlingError, isUnansweredError } from './errors.ts';

/** One regional endpoint of the cluster (`DescribeCluster` ClusterEndpoints). */
export interface ClusterEndpoint {
  region: string;
  endpoint: string;
}

/** Settings of {@link ArcRoutingControlSwitch}. */
export interface ArcSwitchOptions {
  endpoints: ClusterEndpoint[];
  /** Routing control ARN by server id. */
  controls: Record<string, string>;
  /** The failover pair (server ids). */
  pair: { primary: string; secondary: string };
  /** A client for one endpoint (default: region + endpoint override, no SDK retries). */
  clientFor?: (e: ClusterEndpoint) => Route53RecoveryClusterClient;
  /** Index of the first endpoint to try (default random, as the ARC guide recommends). */
  firstEndpoint?: () => number;
}

/** Errors after which the next endpoint is asked. */
const NEXT_ENDPOINT = [
  'EndpointTemporarilyUnavailableException',
  'InternalServerException',
  'ConflictException',
];

const clients = new Map<string, Route53RecoveryClusterClient>();
/** One client per endpoint, built once per container; SDK retries off (the rotation retries). */
export function arcClientFor(e: ClusterEndpoint): Route53RecoveryClusterClient {
  let c = clients.get(e.endpoint);
  if (!c) {
    c = new Route53RecoveryClusterClient({
      region: e.region,
      endpoint: e.endpoint,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
    });
    clients.set(e.endpoint, c);
  }
  return c;
}

/** ARC routing controls as the relay name's switch. */
export class ArcRoutingControlSwitch implements DnsSwitch {
  readonly mode = 'arc-routing-control' as const;
  private readonly o: ArcSwitchOptions;
  constructor(o: ArcSwitchOptions) {
    if (o.endpoints.length === 0) throw new Error('ArcRoutingControlSwitch needs the cluster endpoints');
    this.o = o;
  }

  /** Runs `call` on each endpoint in turn until one gives the cluster's answer. */
  private async onAnyEndpoint<T>(
    action: string,
    call: (c: Route53RecoveryClusterClient) => Promise<T>,
  ): Promise<{ value: T; endpoint: ClusterEndpoint; skipped: string[] }> {
    const eps = this.o.endpoints;
    const first = (this.o.firstEndpoint ?? (() => Math.floor(Math.random() * eps.length)))() % eps.length;
    const skipped: string[] = [];
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[(first + i) % eps.length]!;
      try {
        const value = await call((this.o.clientFor ?? arcClientFor)(ep));
        return { value, endpoint: ep, skipped };
      } catch (e) {
        const name = awsErrorName(e);
        if (isUnansweredError(e) || isThrottlingError(e) || NEXT_ENDPOINT.includes(name)) {
          skipped.push(`${ep.region} (${name}: ${(e as Error).message})`);
          continue;
        }
        const message = (e as Error).message ?? '';
        const rule =
          /arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[^\s/]+\/safetyrule\/[A-Za-z0-9-]+/.exec(
            message,
          )?.[0];
        if (rule)
          throw new DnsSwitchRefused(
            `ARC refused ${action}: safety rule ${rule} blocks it (${message}). The switch never overrides a safety rule; an operator may, with SafetyRulesToOverride`,
            { safetyRule: rule, endpoint: ep.region, ...awsErrorDetails(e) },
          );
        throw e;
      }
    }
    throw new TransientError(
      `${action}: no ARC cluster endpoint answered (${eps.length} tried): ${skipped.join('; ')}`,
      { action, skipped },
    );
  }

  private async states(): Promise<{ states: Record<string, string>; skipped: string[]; via: string }> {
    const out: Record<string, string> = {};
    const skipped: string[] = [];
    let via = '';
    for (const [server, arn] of Object.entries(this.o.controls)) {
      const r = await this.onAnyEndpoint('route53-recovery-cluster:GetRoutingControlState', (c) =>
        c.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn })),
      );
      const st = r.value.RoutingControlState;
      if (st !== 'On' && st !== 'Off')
        throw new Error(`GetRoutingControlState ${arn} returned ${String(st)}`);
      out[server] = st;
      skipped.push(...r.skipped);
      via = r.endpoint.region;
    }
    return { states: out, skipped: [...new Set(skipped)], via };
  }

  async state(): Promise<DnsSwitchState> {
    const { states, via } = await this.states();
    return {
      selects: failoverAnswer(this.o.pair, (s) => states[s] === 'On'),
      detail: `routing controls ${Object.entries(states)
        .map(([s, v]) => `${s} ${v}`)
        .join(', ')} (read via ${via})`,
      record: null,
    };
  }

  async select(req: DnsSelectRequest): Promise<DnsSelectResult> {
    const { states, skipped } = await this.states();
    const warnings = skipped.map((s) => `ARC endpoint did not answer: ${s}`);
    const show = (s: Record<string, string>) =>
      Object.entries(s)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    if (states[req.target] === 'On' && states[req.source] === 'Off')
      return { outcome: 'already', detail: `routing controls already ${show(states)}`, warnings };
    const want = { ...states, [req.target]: 'On', [req.source]: 'Off' };
    if (req.dryRun)
      return {
        outcome: 'would-change',
        detail: `routing controls ${show(states)} -> ${show(want)}`,
        warnings,
      };
    const r = await this.onAnyEndpoint('route53-recovery-cluster:UpdateRoutingControlStates', (c) =>
      c.send(
        new UpdateRoutingControlStatesCommand({
          UpdateRoutingControlStateEntries: [
            { RoutingControlArn: this.o.controls[req.target]!, RoutingControlState: 'On' },
            { RoutingControlArn: this.o.controls[req.source]!, RoutingControlState: 'Off' },
          ],
        }),
      ),
    );
    for (const s of r.skipped) warnings.push(`ARC endpoint did not answer: ${s}`);
    return {
      outcome: 'changed',
      detail: `routing controls ${show(states)} -> ${show(want)} (via the ${r.endpoint.region} endpoint${r.skipped.length ? `, after ${r.skipped.length} did not answer` : ''})`,
      warnings: [...new Set(warnings)],
    };
  }
}
