/** The last-seen clusters of each server: the DynamoDB clusters table the health probe writes. */
import { ownRegion } from '../aws/clients/defaults.ts';
import { dynamoDocumentClientFor } from '../aws/clients/dynamodb.ts';
import { DynamoClusterRegistry } from '../aws/dynamo-cluster-registry.ts';
import type { Ports } from '../wiring.ts';

/** The registry in `CLUSTER_TABLE_NAME` (default `gloo-failover-clusters`), in this region. */
export function clusterRegistryPort(): Ports['registry'] {
  return new DynamoClusterRegistry({
    client: dynamoDocumentClientFor(ownRegion()),
    tableName: process.env.CLUSTER_TABLE_NAME ?? 'gloo-failover-clusters',
  });
}
