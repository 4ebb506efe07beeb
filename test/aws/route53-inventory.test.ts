/**
 * The Route 53 inventory readiness reads, against the API shapes (Route 53 API reference:
 * ListResourceRecordSets — sets listed in name, type, set-identifier order from the start point,
 * `IsTruncated` with `NextRecordName`/`NextRecordType`/`NextRecordIdentifier` to continue;
 * GetHealthCheck — `HealthCheckConfig.Type`, `RoutingControlArn`, `AlarmIdentifier`,
 * `InsufficientDataHealthStatus`; error `NoSuchHealthCheck` for an id that does not exist).
 */
import {
  GetHealthCheckCommand,
  ListResourceRecordSetsCommand,
  NoSuchHealthCheck,
  Route53Client,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Route53Inventory } from '#lib/aws/route53-inventory.ts';
import { isNamed } from '#lib/errors.ts';

const r53 = mockClient(Route53Client);
afterEach(() => r53.reset());

const inventory = () =>
  new Route53Inventory({
    client: new Route53Client({ region: 'us-east-1' }),
    hostedZoneId: '/hostedzone/Z0123456789ABCDEFGHIJ',
    recordName: 'mgmt.ha-demo.example',
    recordType: 'A',
  });

const ALIAS = { HostedZoneId: 'Z26RNL4JYFTOTI', EvaluateTargetHealth: true };

describe('Route53Inventory', () => {
  it('lists the failover pair across pages, stopping at the next name, with alias targets and health checks', async () => {
    // prepare: page 1 holds the PRIMARY; page 2 the SECONDARY then another name
    r53
      .on(ListResourceRecordSetsCommand, { StartRecordIdentifier: undefined })
      .resolves({
        ResourceRecordSets: [
          {
            Name: 'mgmt.ha-demo.example.',
            Type: 'A',
            SetIdentifier: 'mgmt-east-primary',
            Failover: 'PRIMARY',
            HealthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
            AliasTarget: { ...ALIAS, DNSName: 'internal-east.elb.us-east-1.amazonaws.com.' },
          },
        ],
        IsTruncated: true,
        NextRecordName: 'mgmt.ha-demo.example.',
        NextRecordType: 'A',
        NextRecordIdentifier: 'mgmt-west-secondary',
        MaxItems: 10,
      })
      .on(ListResourceRecordSetsCommand, { StartRecordIdentifier: 'mgmt-west-secondary' })
      .resolves({
        ResourceRecordSets: [
          {
            Name: 'mgmt.ha-demo.example.',
            Type: 'A',
            SetIdentifier: 'mgmt-west-secondary',
            Failover: 'SECONDARY',
            HealthCheckId: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
            TTL: 60,
            ResourceRecords: [{ Value: '10.1.0.7' }],
          },
          { Name: 'other.ha-demo.example.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.9.9.9' }] },
        ],
        IsTruncated: true,
        NextRecordName: 'zz.ha-demo.example.',
        NextRecordType: 'A',
        MaxItems: 10,
      });
    // act
    const sets = await inventory().recordSets();
    // assess
    expect(sets).toEqual([
      {
        setIdentifier: 'mgmt-east-primary',
        failover: 'PRIMARY',
        healthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
        values: [],
        aliasTarget: 'internal-east.elb.us-east-1.amazonaws.com.',
      },
      {
        setIdentifier: 'mgmt-west-secondary',
        failover: 'SECONDARY',
        healthCheckId: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
        values: ['10.1.0.7'],
      },
    ]);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toMatchObject({
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      StartRecordName: 'mgmt.ha-demo.example',
      StartRecordType: 'A',
    });
  });

  it('describes a RECOVERY_CONTROL and a CLOUDWATCH_METRIC health check, and answers null for NoSuchHealthCheck', async () => {
    r53
      .on(GetHealthCheckCommand, { HealthCheckId: 'arc' })
      .resolves({
        HealthCheck: {
          Id: 'arc',
          CallerReference: 'c',
          HealthCheckVersion: 1,
          HealthCheckConfig: {
            Type: 'RECOVERY_CONTROL',
            RoutingControlArn:
              'arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/east',
          },
        },
      })
      .on(GetHealthCheckCommand, { HealthCheckId: 'metric' })
      .resolves({
        HealthCheck: {
          Id: 'metric',
          CallerReference: 'c',
          HealthCheckVersion: 1,
          HealthCheckConfig: {
            Type: 'CLOUDWATCH_METRIC',
            AlarmIdentifier: { Region: 'us-west-2', Name: 'mgmt-east-out-of-service' },
            InsufficientDataHealthStatus: 'Healthy',
          },
        },
      })
      .on(GetHealthCheckCommand, { HealthCheckId: 'gone' })
      .rejects(
        new NoSuchHealthCheck({
          message: 'No health check exists with the specified ID gone',
          $metadata: {},
        }),
      );
    const inv = inventory();
    expect(await inv.healthCheck('arc')).toEqual({
      id: 'arc',
      type: 'RECOVERY_CONTROL',
      routingControlArn: 'arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/east',
    });
    expect(await inv.healthCheck('metric')).toEqual({
      id: 'metric',
      type: 'CLOUDWATCH_METRIC',
      alarm: { name: 'mgmt-east-out-of-service', region: 'us-west-2' },
      insufficientDataHealthStatus: 'Healthy',
    });
    expect(await inv.healthCheck('gone')).toBeNull();
  });

  it('lets throttling through as a transient error, never as "does not exist"', async () => {
    r53
      .on(GetHealthCheckCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const err = await inventory()
      .healthCheck('arc')
      .catch((e: unknown) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });
});
