/** DynamoDB DocumentClients per region. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../../powertools.ts';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** DynamoDB DocumentClient in a region (plain JS values in and out; `undefined` members dropped). */
export const dynamoDocumentClientFor = perRegion(
  (region) =>
    // The DocumentClient shares the traced base client's middleware stack: trace the base once.
    DynamoDBDocumentClient.from(
      tracer.captureAWSv3Client(new DynamoDBClient({ region, ...CLIENT_DEFAULTS })),
      { marshallOptions: { removeUndefinedValues: true } },
    ),
  (c) => c,
);
