/**
 * Run report pages in S3: `PutObject` of the page into the regional reports bucket, then a presigned
 * `GetObject` URL for the Slack message and the SNS report. A URL signed with a role's temporary
 * credentials stops working when that session expires, even if it was asked to last longer (S3 User
 * Guide, "Download and upload objects with presigned URLs"): `expiresInSeconds` is an upper bound.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** Where a run report page is kept, and a link to it. */
export interface ReportPageStore {
  /** Stores the page under `key`; returns a link that opens it. */
  put(key: string, html: string): Promise<{ key: string; url: string }>;
}

/** The object key of a run's page: `runs/<state machine>/<execution name>.html` (execution ARN parts). */
export function pageKey(executionId: string, reportedAt: string): string {
  const parts = executionId.split(':');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_';
  // arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME
  if (parts.length >= 8 && parts[5] === 'execution')
    return `runs/${safe(parts[6]!)}/${safe(parts.slice(7).join(':'))}.html`;
  return `runs/other/${safe(executionId)}-${safe(reportedAt)}.html`;
}

/** The S3 adapter of {@link ReportPageStore}. */
export class S3ReportPageStore implements ReportPageStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly expiresInSeconds: number;

  constructor(s3: S3Client, bucket: string, expiresInSeconds: number) {
    this.s3 = s3;
    this.bucket = bucket;
    this.expiresInSeconds = expiresInSeconds;
    // SigV4 presigned URLs last at most 7 days.
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 60 || expiresInSeconds > 604_800)
      throw new RangeError(
        `report link expiry: expected whole seconds from 60 to 604800 (7 days), got ${expiresInSeconds}`,
      );
  }

  async put(key: string, html: string): Promise<{ key: string; url: string }> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: html,
        ContentType: 'text/html; charset=utf-8',
        // The page is a record of one run: never served from a shared cache.
        CacheControl: 'private, no-store',
      }),
    );
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: this.expiresInSeconds,
    });
    return { key, url };
  }
}
