import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsResponse,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { normaliseDnsName, Route53DnsPointer } from '#lib/aws/route53-dns.ts';
import { isNamed } from '#lib/errors.ts';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const r53 = mockClient(Route53Client);
afterEach(() => r53.reset());

function pointer(recordName = 'mgmt.example.com', recordType: 'A' | 'AAAA' | 'CNAME' = 'A') {
  return new Route53DnsPointer({
    client: new Route53Client({ region: 'us-east-1' }),
    hostedZoneId: `/hostedzone/${ZONE}`,
    recordName,
    recordType,
  });
}

/** A ListResourceRecordSets page of MaxItems 1, shaped like the API reference. */
function page(set: Partial<ResourceRecordSet> | null): ListResourceRecordSetsResponse {
  return {
    ResourceRecordSets: set ? [{ Name: 'mgmt.example.com.', Type: 'A', ...set } as ResourceRecordSet] : [],
    IsTruncated: true,
    NextRecordName: 'zz.example.com.',
    NextRecordType: 'A',
    MaxItems: 1,
  };
}

const EAST = { ttl: 30, values: ['10.0.1.10'] };
const WEST = { ttl: 30, values: ['10.1.1.10'] };
const asSet = (r: { ttl: number; values: string[] }) => ({
  TTL: r.ttl,
  ResourceRecords: r.values.map((Value) => ({ Value })),
});

describe('Route53DnsPointer.read', () => {
  it('reads the record with one ListResourceRecordSets call starting at its name and type', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(EAST)));
    const rec = await pointer().read();
    expect(rec).toEqual(EAST);
    expect(r53).toHaveReceivedCommandExactlyOnceWith(ListResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      StartRecordName: 'mgmt.example.com',
      StartRecordType: 'A',
      MaxItems: 1,
    });
  });

  it('returns null when the list starts at another name or type', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce(page({ Name: 'mgmt2.example.com.', ...asSet(EAST) }))
      .resolvesOnce(page({ Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=1"' }] }))
      .resolves(page(null));
    expect(await pointer().read()).toBeNull();
    expect(await pointer().read()).toBeNull();
    expect(await pointer().read()).toBeNull();
  });

  it('matches names the way Route 53 returns them: trailing dot, lower case, octal escapes', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolves(page({ Name: '\\052.relay.example.com.', ...asSet(EAST) }));
    expect(await pointer('*.Relay.Example.COM').read()).toEqual(EAST);
    expect(normaliseDnsName('\\052.a\\100b.Example.com.')).toBe('*.a@b.example.com');
  });

  it('refuses an alias record', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(
      page({
        AliasTarget: {
          HostedZoneId: 'Z35SXDOTRQ7X7K',
          DNSName: 'mgmt-nlb-1234.elb.us-east-1.amazonaws.com.',
          EvaluateTargetHealth: true,
        },
      }),
    );
    const err = await pointer()
      .read()
      .catch((e) => e);
    expect(isNamed(err, 'DnsRecordUnexpected')).toBe(true);
    expect(err.message).toMatch(/alias/);
  });

  it('refuses a failover or weighted record (SetIdentifier)', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolves(
        page({ SetIdentifier: 'primary', Failover: 'PRIMARY', HealthCheckId: 'abc', ...asSet(EAST) }),
      );
    const err = await pointer()
      .read()
      .catch((e) => e);
    expect(isNamed(err, 'DnsRecordUnexpected')).toBe(true);
    expect(err.details).toMatchObject({ setIdentifier: 'primary', failover: 'PRIMARY' });
  });

  it('turns throttling into a TransientError', async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(
      new Route53ServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const err = await pointer()
      .read()
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });
});

describe('Route53DnsPointer.compareAndSwap', () => {
  it('swaps with one DELETE(expected) + CREATE(next) batch and returns the change id', async () => {
    // prepare
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(EAST)));
    r53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: {
        Id: '/change/C2682N5HXP0BZ4',
        Status: 'PENDING',
        SubmittedAt: new Date('2026-11-20T03:14:00Z'),
        Comment: 'x',
      },
    });
    // act
    const res = await pointer().compareAndSwap({ expected: EAST, next: WEST, dryRun: false });
    // assess
    expect(res).toEqual({ outcome: 'changed', changeId: '/change/C2682N5HXP0BZ4' });
    expect(r53).toHaveReceivedCommandExactlyOnceWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      ChangeBatch: {
        Comment: expect.stringMatching(/^gloo-mgmt-failover: mgmt\.example\.com 10\.0\.1\.10/),
        Changes: [
          {
            Action: 'DELETE',
            ResourceRecordSet: {
              Name: 'mgmt.example.com',
              Type: 'A',
              TTL: 30,
              ResourceRecords: [{ Value: '10.0.1.10' }],
            },
          },
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: 'mgmt.example.com',
              Type: 'A',
              TTL: 30,
              ResourceRecords: [{ Value: '10.1.1.10' }],
            },
          },
        ],
      },
    });
  });

  it('does nothing when the record already holds the new value', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(WEST)));
    const res = await pointer().compareAndSwap({ expected: EAST, next: WEST, dryRun: false });
    expect(res).toEqual({ outcome: 'already', changeId: null });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('reports a dry run without changing anything', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(EAST)));
    const res = await pointer().compareAndSwap({ expected: EAST, next: WEST, dryRun: true });
    expect(res).toEqual({ outcome: 'would-change', changeId: null });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('refuses to overwrite a record that is not the expected one', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet({ ttl: 30, values: ['10.9.9.9'] })));
    const err = await pointer()
      .compareAndSwap({ expected: EAST, next: WEST, dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'DnsChangeConflict')).toBe(true);
    expect(err.details.current).toEqual({ ttl: 30, values: ['10.9.9.9'] });
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('maps InvalidChangeBatch after a concurrent change to DnsChangeConflict with the value read afterwards', async () => {
    // prepare: the record changes between our read and our batch
    r53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce(page(asSet(EAST)))
      .resolves(page(asSet({ ttl: 60, values: ['10.9.9.9'] })));
    r53.on(ChangeResourceRecordSetsCommand).rejects(
      new InvalidChangeBatch({
        message:
          "Tried to delete resource record set [name='mgmt.example.com.', type='A'] but the values provided do not match the current values",
        messages: [
          "Tried to delete resource record set [name='mgmt.example.com.', type='A'] but the values provided do not match the current values",
        ],
        $metadata: { httpStatusCode: 400, requestId: '6a96ada9-ca89-11e8-8889-7146c770a10d' },
      }),
    );
    // act
    const err = await pointer()
      .compareAndSwap({ expected: EAST, next: WEST, dryRun: false })
      .catch((e) => e);
    // assess
    expect(isNamed(err, 'DnsChangeConflict')).toBe(true);
    expect(err.message).toMatch(/nothing was overwritten/);
    expect(err.details).toMatchObject({
      current: { ttl: 60, values: ['10.9.9.9'] },
      awsError: 'InvalidChangeBatch',
      requestId: '6a96ada9-ca89-11e8-8889-7146c770a10d',
    });
    expect(r53).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 2);
  });

  it('maps InvalidChangeBatch with the record unchanged (a bad new value) to InvalidInput', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(EAST)));
    r53.on(ChangeResourceRecordSetsCommand).rejects(
      new InvalidChangeBatch({
        message: 'ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with 10.1.1',
        messages: ['ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with 10.1.1'],
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const err = await pointer()
      .compareAndSwap({ expected: EAST, next: { ttl: 30, values: ['10.1.1'] }, dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect(err.message).toMatch(/ARRDATAIllegalIPv4Address.*unchanged/);
  });

  it('maps PriorRequestNotComplete and Throttling to TransientError', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(asSet(EAST)));
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(
        new PriorRequestNotComplete({
          message: 'The request was rejected because Route 53 was still processing a prior request.',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(
        new Route53ServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      );
    const a = await pointer()
      .compareAndSwap({ expected: EAST, next: WEST, dryRun: false })
      .catch((e) => e);
    const b = await pointer()
      .compareAndSwap({ expected: EAST, next: WEST, dryRun: false })
      .catch((e) => e);
    expect(isNamed(a, 'TransientError')).toBe(true);
    expect(a.details).toMatchObject({
      awsError: 'PriorRequestNotComplete',
      action: 'route53:ChangeResourceRecordSets',
    });
    expect(isNamed(b, 'TransientError')).toBe(true);
    expect(b.details).toMatchObject({ awsError: 'Throttling' });
  });

  it('compares CNAME targets without case or trailing dot', async () => {
    r53
      .on(ListResourceRecordSetsCommand)
      .resolves(page({ Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'mgmt-west.example.com.' }] }));
    const res = await pointer('mgmt.example.com', 'CNAME').compareAndSwap({
      expected: { ttl: 30, values: ['mgmt-east.example.com'] },
      next: { ttl: 30, values: ['MGMT-WEST.example.com'] },
      dryRun: false,
    });
    expect(res.outcome).toBe('already');
  });
});

describe('Route53DnsPointer.changeStatus', () => {
  it('reports PENDING then INSYNC from GetChange', async () => {
    r53
      .on(GetChangeCommand)
      .resolvesOnce({
        ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'PENDING', SubmittedAt: new Date() },
      })
      .resolves({ ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'INSYNC', SubmittedAt: new Date() } });
    const p = pointer();
    expect(await p.changeStatus('/change/C2682N5HXP0BZ4')).toBe('PENDING');
    expect(await p.changeStatus('/change/C2682N5HXP0BZ4')).toBe('INSYNC');
    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: 'C2682N5HXP0BZ4' });
  });
});
