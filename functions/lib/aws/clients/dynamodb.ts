/** DynamoDB DocumentClients per region. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** DynamoDB DocumentClient in a region (plain JS values in and out; `undefined` members dropped). */
export const dynamoDocumentClientFor = perRegion((region) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ region, ...CLIENT_DEFAULTS }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
