/**
 * The sandbox's ARC cluster stand-in: routing controls (On/Off) served on five regional endpoints in
 * the AWS JSON protocol of `route53-recovery-cluster`, so the product's ArcRoutingControlSwitch runs
 * against it with the real SDK client. Like the real cluster (ARC Developer Guide): any endpoint
 * answers; an update commits only while a majority of the five replicas is up (else
 * `EndpointTemporarilyUnavailableException`); an endpoint can be killed (connection refused) and
 * revived; an assertion safety rule ("at least one control On") refuses an update that would leave
 * every control Off, naming the rule's ARN, unless the request overrides that rule.
 */
import { type AwsJsonEndpoint, AwsJsonError, startAwsJsonEndpoint } from './aws-json.ts';

/** The five regions of an ARC cluster's endpoints. */
export const ARC_ENDPOINT_REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-2',
  'ap-northeast-1',
] as const;

/** A running stand-in. */
export interface ArcClusterStandIn {
  clusterArn: string;
  controlPanelArn: string;
  safetyRuleArn: string;
  endpoints: { region: string; endpoint: string }[];
  /** The current state of a routing control. */
  state(arn: string): 'On' | 'Off';
  /** Kills (or revives) the endpoint of a region. */
  killEndpoint(region: string): Promise<void>;
  reviveEndpoint(region: string): Promise<void>;
  /** Regions whose endpoint is down. */
  deadEndpoints(): string[];
  /** Updates accepted so far (for tests). */
  readonly updates: number;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';

/** Starts the cluster with `controls` (name -> initial state) on `host`. */
export async function startArcCluster(
  host: string,
  controls: Record<string, 'On' | 'Off'>,
): Promise<ArcClusterStandIn & { arnOf(name: string): string }> {
  const clusterArn = `arn:aws:route53-recovery-control::${ACCOUNT}:cluster/sandbox0cluster`;
  const controlPanelArn = `arn:aws:route53-recovery-control::${ACCOUNT}:controlpanel/sandbox0panel`;
  const safetyRuleArn = `${controlPanelArn}/safetyrule/atleast1on`;
  const arnOf = (name: string) => `${controlPanelArn}/routingcontrol/${name}`;
  const states = new Map<string, 'On' | 'Off'>(Object.entries(controls).map(([n, s]) => [arnOf(n), s]));
  let updates = 0;
  const eps = new Map<string, AwsJsonEndpoint>();
  const alive = () => [...eps.values()].filter((e) => e.running).length;

  const handle = (operation: string, body: Record<string, unknown>) => {
    if (alive() < 3)
      throw new AwsJsonError(
        'EndpointTemporarilyUnavailableException',
        `the cluster has no quorum (${alive()} of 5 replicas up): try another cluster endpoint`,
        503,
      );
    const known = (arn: unknown): string => {
      if (typeof arn !== 'string' || !states.has(arn))
        throw new AwsJsonError('ResourceNotFoundException', `routing control ${String(arn)} not found`, 404);
      return arn;
    };
    if (operation === 'GetRoutingControlState') {
      const arn = known(body.RoutingControlArn);
      return {
        RoutingControlArn: arn,
        RoutingControlState: states.get(arn),
        RoutingControlName: arn.split('/').pop(),
      };
    }
    let entries: { RoutingControlArn?: unknown; RoutingControlState?: unknown }[];
    if (operation === 'UpdateRoutingControlState') entries = [body];
    else if (operation === 'UpdateRoutingControlStates')
      entries = (body.UpdateRoutingControlStateEntries as typeof entries) ?? [];
    else throw new AwsJsonError('ValidationException', `unknown operation ${operation}`);
    const next = new Map(states);
    for (const e of entries) {
      const arn = known(e.RoutingControlArn);
      if (e.RoutingControlState !== 'On' && e.RoutingControlState !== 'Off')
        throw new AwsJsonError('ValidationException', `RoutingControlState must be On or Off`);
      next.set(arn, e.RoutingControlState);
    }
    const overridden = ((body.SafetyRulesToOverride as string[] | undefined) ?? []).includes(safetyRuleArn);
    if (!overridden && ![...next.values()].includes('On'))
      throw new AwsJsonError(
        'ValidationException',
        `Cannot update routing control states: the update would violate safety rule ${safetyRuleArn} (ATLEAST 1 On)`,
      );
    for (const [k, v] of next) states.set(k, v);
    updates++;
    return {};
  };

  for (const region of ARC_ENDPOINT_REGIONS) eps.set(region, await startAwsJsonEndpoint(host, handle));
  return {
    clusterArn,
    controlPanelArn,
    safetyRuleArn,
    arnOf,
    endpoints: ARC_ENDPOINT_REGIONS.map((region) => ({ region, endpoint: eps.get(region)!.url })),
    state: (arn) => states.get(arn) ?? 'Off',
    killEndpoint: async (region) => eps.get(region)?.stop(),
    reviveEndpoint: async (region) => eps.get(region)?.start(),
    deadEndpoints: () => [...eps].filter(([, e]) => !e.running).map(([r]) => r),
    get updates() {
      return updates;
    },
    close: async () => {
      await Promise.all([...eps.values()].map((e) => e.stop()));
    },
  };
}
