import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { datastoreParameterName, SsmDatastoreRegistry } from '#lib/aws/ssm-datastore-registry.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());
const registry = () =>
  new SsmDatastoreRegistry({
    parameterName: datastoreParameterName('gloo-mgmt'),
    region: 'us-west-2',
    regions: ['us-east-1', 'us-west-2'],
    clientFor: (region) => new SSMClient({ region }),
  });
const record = {
  generation: 1,
  globalReplicationGroupId: 'sgaui-gloo-mgmt-g1',
  members: { 'us-west-2': { replicationGroupId: 'gloo-mgmt-west', endpoint: 'w.example:6379' } },
  recordedAt: '2026-11-29T15:00:00.000Z',
  recordedBy: 'arn:aws:states:us-west-2:123456789012:execution:x:y',
};

describe('SsmDatastoreRegistry', () => {
  it('reads null when the parameter does not exist ("GetParameter": ParameterNotFound): the static topology applies', async () => {
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'not found', $metadata: { httpStatusCode: 400 } }));
    expect(await registry().read()).toBeNull();
  });

  it('writes the record to every region with Overwrite (idempotent on a retry) and reads it back', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 2 });
    ssm.on(GetParameterCommand).resolves({
      Parameter: { Name: '/gloo-failover/gloo-mgmt/redis-datastore', Value: JSON.stringify(record) },
    });
    await registry().write(record);
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 2);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/gloo-failover/gloo-mgmt/redis-datastore',
      Type: 'String',
      Overwrite: true,
    });
    expect(await registry().read()).toEqual(record);
  });

  it('refuses a hand-edited record, naming the field', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ ...record, generation: 0 }) } });
    await expect(registry().read()).rejects.toThrow(/generation/);
  });
});
