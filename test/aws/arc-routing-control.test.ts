/**
 * ArcRoutingControlSwitch against the Route53RecoveryCluster API shapes (API reference:
 * GetRoutingControlState, UpdateRoutingControlStates; errors EndpointTemporarilyUnavailableException,
 * ValidationException). ARC Developer Guide, "Getting and updating routing control states using the
 * ARC API": five regional endpoints, try them in turn. "Overriding safety rules to reroute traffic":
 * a blocked update names the rule's ARN.
 */
import {
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ArcRoutingControlSwitch, type ClusterEndpoint } from '#lib/aws/arc-routing-control.ts';
import { isNamed } from '#lib/errors.ts';

const PANEL = 'arn:aws:route53-recovery-control::111122223333:controlpanel/abc';
const EAST = `${PANEL}/routingcontrol/east`;
const WEST = `${PANEL}/routingcontrol/west`;
const RULE = `${PANEL}/safetyrule/atleast1`;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1'];
const endpoints: ClusterEndpoint[] = REGIONS.map((region) => ({
  region,
  endpoint: `https://host-x.${region}.example.com/v1`,
}));

// biome-ignore lint/suspicious/noExplicitAny: aws-sdk-client-mock's stub type parameters
type Stub = AwsStub<any, any, any>;
let stubs: Stub[] = [];
afterEach(() => {
  for (const s of stubs) s.restore();
  stubs = [];
});

/** One client (and stub) per endpoint; `down` endpoints refuse connections. */
function cluster(states: Record<string, 'On' | 'Off'>, down: string[] = []) {
  const byEndpoint = new Map<string, { client: Route53RecoveryClusterClient; stub: Stub }>();
  for (const e of endpoints) {
    const client = new Route53RecoveryClusterClient({ region: e.region, endpoint: e.endpoint });
    const stub = mockClient(client);
    stubs.push(stub);
    if (down.includes(e.region)) {
      const refused = Object.assign(new Error(`connect ECONNREFUSED ${e.endpoint}`), {
        code: 'ECONNREFUSED',
      });
      stub.onAnyCommand().rejects(refused);
    } else {
      stub.on(GetRoutingControlStateCommand).callsFake((input: { RoutingControlArn: string }) => ({
        RoutingControlArn: input.RoutingControlArn,
        RoutingControlState: states[input.RoutingControlArn],
      }));
      stub.on(UpdateRoutingControlStatesCommand).callsFake((input) => {
        for (const x of input.UpdateRoutingControlStateEntries)
          states[x.RoutingControlArn] = x.RoutingControlState;
        return {};
      });
    }
    byEndpoint.set(e.endpoint, { client, stub });
  }
  const sw = new ArcRoutingControlSwitch({
    endpoints,
    controls: { 'mgmt-east': EAST, 'mgmt-west': WEST },
    pair: { primary: 'mgmt-east', secondary: 'mgmt-west' },
    clientFor: (e) => byEndpoint.get(e.endpoint)!.client,
    firstEndpoint: () => 0,
  });
  return {
    sw,
    states,
    stub: (region: string) => byEndpoint.get(endpoints.find((e) => e.region === region)!.endpoint)!.stub,
  };
}

const req = { source: 'mgmt-east', target: 'mgmt-west', dryRun: false, force: false };

describe('ArcRoutingControlSwitch', () => {
  it('turns the target On and the source Off in one UpdateRoutingControlStates transaction', async () => {
    // prepare
    const c = cluster({ [EAST]: 'On', [WEST]: 'Off' });
    // act
    const r = await c.sw.select(req);
    // assess
    expect(r.outcome).toBe('changed');
    expect(c.stub('us-east-1')).toHaveReceivedCommandExactlyOnceWith(UpdateRoutingControlStatesCommand, {
      UpdateRoutingControlStateEntries: [
        { RoutingControlArn: WEST, RoutingControlState: 'On' },
        { RoutingControlArn: EAST, RoutingControlState: 'Off' },
      ],
    });
    expect(c.states).toEqual({ [EAST]: 'Off', [WEST]: 'On' });
    expect((await c.sw.state()).selects).toBe('mgmt-west');
  });

  it('still switches with two of the five endpoints down, trying the next ones in turn', async () => {
    const c = cluster({ [EAST]: 'On', [WEST]: 'Off' }, ['us-east-1', 'us-west-2']);
    const r = await c.sw.select(req);
    expect(r.outcome).toBe('changed');
    expect(r.detail).toMatch(/via the eu-west-1 endpoint, after 2 did not answer/);
    expect(r.warnings.join(' ')).toMatch(/us-east-1 .*ECONNREFUSED/);
    expect(c.stub('eu-west-1')).toHaveReceivedCommandTimes(UpdateRoutingControlStatesCommand, 1);
    expect(c.states[WEST]).toBe('On');
  });

  it('moves on when an endpoint answers EndpointTemporarilyUnavailableException', async () => {
    const c = cluster({ [EAST]: 'On', [WEST]: 'Off' });
    c.stub('us-east-1')
      .on(UpdateRoutingControlStatesCommand)
      .rejects(new EndpointTemporarilyUnavailableException({ message: 'try another', $metadata: {} }));
    const r = await c.sw.select(req);
    expect(r.detail).toMatch(/via the us-west-2 endpoint/);
  });

  it('ends TransientError (the workflow retries) when no endpoint answers, changing nothing', async () => {
    const c = cluster({ [EAST]: 'On', [WEST]: 'Off' }, REGIONS);
    const err = await c.sw.select(req).catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(err.message).toMatch(/no ARC cluster endpoint answered \(5 tried\)/);
  });

  it('refuses with DnsSwitchRefused naming the safety rule, never overriding it, and asks no other endpoint', async () => {
    const c = cluster({ [EAST]: 'On', [WEST]: 'Off' });
    c.stub('us-east-1')
      .on(UpdateRoutingControlStatesCommand)
      .rejects(
        new ValidationException({
          message: `Cannot update: violates safety rule ${RULE}`,
          reason: 'other',
          $metadata: {},
        }),
      );
    const err = await c.sw.select(req).catch((e) => e);
    expect(isNamed(err, 'DnsSwitchRefused')).toBe(true);
    expect(err.details.safetyRule).toBe(RULE);
    expect(c.stub('us-west-2')).not.toHaveReceivedCommand(UpdateRoutingControlStatesCommand);
    const sent = c.stub('us-east-1').commandCalls(UpdateRoutingControlStatesCommand)[0]!.args[0].input;
    expect(sent.SafetyRulesToOverride).toBeUndefined();
  });

  it('changes nothing when the target is already On and the source Off, or in a dry run', async () => {
    const done = cluster({ [EAST]: 'Off', [WEST]: 'On' });
    expect((await done.sw.select(req)).outcome).toBe('already');
    const dry = cluster({ [EAST]: 'On', [WEST]: 'Off' });
    expect((await dry.sw.select({ ...req, dryRun: true })).outcome).toBe('would-change');
    for (const r of REGIONS) {
      expect(done.stub(r)).not.toHaveReceivedCommand(UpdateRoutingControlStatesCommand);
      expect(dry.stub(r)).not.toHaveReceivedCommand(UpdateRoutingControlStatesCommand);
    }
  });

  it('reads what Route 53 answers: both Off means every record unhealthy, so the PRIMARY', async () => {
    expect((await cluster({ [EAST]: 'Off', [WEST]: 'Off' }).sw.state()).selects).toBe('mgmt-east');
    expect((await cluster({ [EAST]: 'On', [WEST]: 'On' }).sw.state()).selects).toBe('mgmt-east');
  });
});
