/**
 * AWS SDK clients, built once per container and per region (warm invocations reuse them), each
 * wrapped by the Powertools tracer. The SDK retries a little (`maxAttempts`); the ASL `Retry` does
 * the rest, with backoff and jitter, on `TransientError`. Timeouts are short so that a region that
 * does not answer is noticed in seconds, not after the Lambda timeout.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../handler.ts';
import type { Region } from '../topology.ts';

/** Settings shared by every client. */
export const CLIENT_DEFAULTS = {
  /** One try plus two SDK retries; the workflow retries further. */
  maxAttempts: 3,
  requestHandler: {
    /** A regional endpoint that does not accept a connection in this time counts as not answering. */
    connectionTimeout: 3_000,
    /** A request that gets no response in this time counts as not answering. */
    requestTimeout: 10_000,
  },
} as const;

/**
 * Settings of the clients that send MUTATING calls (Route 53 record changes, ElastiCache failover,
 * re-protection): no SDK retry. A repeated mutating call after a lost response is refused by AWS
 * (Route 53 `InvalidChangeBatch`: the DELETE no longer matches; ElastiCache
 * `InvalidGlobalReplicationGroupState`: the datastore is already modifying), so the adapters retry
 * themselves, after reading the state, and treat "already what we wanted" as success.
 */
export const MUTATING_CLIENT_DEFAULTS = { ...CLIENT_DEFAULTS, maxAttempts: 1 } as const;

/** Memoises a client per region, wrapped by the tracer (`trace`) once when built. */
function perRegion<C>(make: (region: string) => C, trace: (c: C) => C = (c) => tracer.captureAWSv3Client(c)) {
  const made = new Map<string, C>();
  return (region: Region): C => {
    let c = made.get(region);
    if (!c) {
      c = trace(make(region));
      made.set(region, c);
    }
    return c;
  };
}

/** ElastiCache in a region (the Global Datastore adapter asks each member's region). */
export const elastiCacheClientFor = perRegion(
  (region) => new ElastiCacheClient({ region, ...CLIENT_DEFAULTS }),
);

/** ElastiCache in a region for mutating calls (no SDK retries; see {@link MUTATING_CLIENT_DEFAULTS}). */
export const elastiCacheWriteClientFor = perRegion(
  (region) => new ElastiCacheClient({ region, ...MUTATING_CLIENT_DEFAULTS }),
);

/** CloudWatch in a region (alarms live where they were created). */
export const cloudWatchClientFor = perRegion(
  (region) => new CloudWatchClient({ region, ...CLIENT_DEFAULTS }),
);

/** Secrets Manager in a region. */
export const secretsManagerClientFor = perRegion(
  (region) => new SecretsManagerClient({ region, ...CLIENT_DEFAULTS }),
);

/** Step Functions in a region. */
export const sfnClientFor = perRegion((region) => new SFNClient({ region, ...CLIENT_DEFAULTS }));

/** SNS in a region. */
export const snsClientFor = perRegion((region) => new SNSClient({ region, ...CLIENT_DEFAULTS }));

/** DynamoDB DocumentClient in a region (plain JS values in and out; `undefined` members dropped). */
export const dynamoDocumentClientFor = perRegion(
  (region) =>
    // The DocumentClient shares the traced base client's middleware stack: trace the base once.
    DynamoDBDocumentClient.from(
      tracer.captureAWSv3Client(new DynamoDBClient({ region, ...CLIENT_DEFAULTS })),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    ),
  (c) => c,
);

const route53For = perRegion((region) => new Route53Client({ region, ...CLIENT_DEFAULTS }));
const route53WriteFor = perRegion((region) => new Route53Client({ region, ...MUTATING_CLIENT_DEFAULTS }));
const route53Partition = (region: Region) => (region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1');

/**
 * Route 53. Its control plane is global (served from us-east-1 in the commercial partition): the
 * region only picks the partition, so pass a GovCloud region there and leave the default elsewhere.
 */
export function route53Client(region: Region = 'us-east-1'): Route53Client {
  return route53For(route53Partition(region));
}

/** Route 53 for record changes: no SDK retries (see {@link MUTATING_CLIENT_DEFAULTS}). */
export function route53WriteClient(region: Region = 'us-east-1'): Route53Client {
  return route53WriteFor(route53Partition(region));
}

/** The Lambda's own region (`AWS_REGION`), for clients of services that are regional to the stack. */
export function ownRegion(): Region {
  const r = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!r) throw new Error('AWS_REGION is not set');
  return r as Region;
}

/** Every factory under one name; a region defaults to the Lambda's own (`AWS_REGION`). */
export const awsClients = {
  elasticache: (region: Region = ownRegion()) => elastiCacheClientFor(region),
  cloudwatch: (region: Region = ownRegion()) => cloudWatchClientFor(region),
  secrets: (region: Region = ownRegion()) => secretsManagerClientFor(region),
  sfn: (region: Region = ownRegion()) => sfnClientFor(region),
  sns: (region: Region = ownRegion()) => snsClientFor(region),
  dynamoDoc: (region: Region = ownRegion()) => dynamoDocumentClientFor(region),
  route53: (region?: Region) =>
    route53Client(region ?? ((process.env.AWS_REGION as Region | undefined) || 'us-east-1')),
};
