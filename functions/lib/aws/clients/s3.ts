/** S3 clients per region. */
import { S3Client } from '@aws-sdk/client-s3';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** S3 in a region, built once per region. */
export const s3ClientFor = perRegion((region) => new S3Client({ region, ...CLIENT_DEFAULTS }));
