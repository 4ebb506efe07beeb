import {
  GetHealthCheckStatusCommand,
  type HealthCheckObservation,
  NoSuchHealthCheck,
  Route53Client,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Route53HealthCheckStatuses } from '#lib/aws/route53-health.ts';
import { isNamed } from '#lib/errors.ts';

const HC = 'abcdef11-2222-3333-4444-555555fedcba';
const r53 = mockClient(Route53Client);
afterEach(() => r53.reset());

const statuses = () => new Route53HealthCheckStatuses(new Route53Client({ region: 'us-east-1' }));

function obs(region: string, status: string): HealthCheckObservation {
  return {
    Region: region as HealthCheckObservation['Region'],
    IPAddress: '15.177.2.9',
    StatusReport: { Status: status, CheckedTime: new Date('2026-11-20T03:12:30Z') },
  };
}

describe('Route53HealthCheckStatuses', () => {
  it('counts the checkers whose latest observation starts with "Success"', async () => {
    // prepare
    r53.on(GetHealthCheckStatusCommand).resolves({
      HealthCheckObservations: [
        obs('us-east-1', 'Success: HTTP Status Code 200, OK'),
        obs('eu-west-1', 'Failure: Connection timed out. The endpoint or the internet connection is down.'),
        obs('ap-southeast-1', 'Failure: HTTP Status Code 503, Service Unavailable'),
        obs('sa-east-1', 'Success: HTTP Status Code 200, OK'),
      ],
    });
    // act
    const r = await statuses().observations(HC);
    // assess
    expect(r).toEqual({ healthy: 2, total: 4 });
    expect(r53).toHaveReceivedCommandExactlyOnceWith(GetHealthCheckStatusCommand, { HealthCheckId: HC });
  });

  it('reports zero of zero when no checker has reported yet', async () => {
    r53.on(GetHealthCheckStatusCommand).resolves({ HealthCheckObservations: [] });
    expect(await statuses().observations(HC)).toEqual({ healthy: 0, total: 0 });
  });

  it('lets NoSuchHealthCheck through and turns throttling into a TransientError', async () => {
    r53
      .on(GetHealthCheckStatusCommand)
      .rejectsOnce(
        new NoSuchHealthCheck({ message: `A health check with id ${HC} does not exist.`, $metadata: {} }),
      )
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const a = await statuses()
      .observations(HC)
      .catch((e) => e);
    const b = await statuses()
      .observations(HC)
      .catch((e) => e);
    expect(a.name).toBe('NoSuchHealthCheck');
    expect(isNamed(b, 'TransientError')).toBe(true);
  });
});
