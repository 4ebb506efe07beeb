/**
 * Where the run report pages of a region live: an S3 bucket encrypted with its own KMS key (rotated),
 * TLS 1.2+ only, every public access blocked, objects owned by the bucket owner, pages expired after
 * `retentionDays`, access logged to a second bucket. The report function may put and read pages
 * under `runs/` only (it signs the links, so the link's reader acts as it), and gets the settings
 * as environment variables; with Slack configured it may read the bot token to post the link.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DeployConfig } from '../deploy-config.ts';
import { acknowledge } from '../nag.ts';
import { grantSecret, secretRef } from './access.ts';
import type { StepFunction } from './step-function.ts';

/** Props of {@link RunReports}. */
export interface RunReportsProps {
  /** The report step's function: it stores the pages and signs their links. */
  writer: StepFunction;
  /** Days a page is kept. @default 90 */
  retentionDays?: number;
  /**
   * Lifetime of a page's presigned link, at most 7 days. A link signed with the function's role
   * session stops working when that session expires, whichever comes first. @default 12 hours
   */
  linkExpiry?: Duration;
  /** Post the link to this Slack channel with the bot token in this secret (name or ARN). @default no Slack message */
  slack?: { channel: string; botTokenSecret: string };
  /** For the secret's customer-managed KMS key, when there is one. */
  deploy: DeployConfig;
}

/** The bucket, its key, and the report function wired to them. */
export class RunReports extends Construct {
  /** The pages bucket. */
  readonly bucket: s3.Bucket;
  /** The bucket's KMS key. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RunReportsProps) {
    super(scope, id);
    // Log delivery through a bucket policy (the S3 logging service principal), not the legacy ACL,
    // so both buckets can disable ACLs (BucketOwnerEnforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const retentionDays = props.retentionDays ?? 90;
    const linkExpiry = props.linkExpiry ?? Duration.hours(12);
    if (linkExpiry.toSeconds() > 604_800)
      throw new Error(`run report link expiry: at most 7 days (SigV4), got ${linkExpiry.toHumanString()}`);

    this.key = new kms.Key(this, 'Key', {
      description: 'gloo-failover run report pages',
      enableKeyRotation: true,
      // Pages are the audit record of the runs: keep them (and the key that reads them) when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Server access logs cannot be delivered to a KMS-encrypted bucket: S3-managed keys here.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This is the server access log bucket of the run reports bucket; logging its own access would log into itself.',
    );
    this.bucket = new s3.Bucket(this, 'Pages', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'pages/',
      lifecycleRules: [
        { expiration: Duration.days(retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const { writer } = props;
    const pages = this.bucket.arnForObjects('runs/*');
    writer.allow(['s3:PutObject', 's3:GetObject'], [pages]);
    this.key.grant(writer.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledge(
      writer.role,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/runs/*]`,
      'One object per run under runs/ of this bucket only; the object key (the execution name) is known only at run time.',
    );
    writer.fn.addEnvironment('REPORT_BUCKET', this.bucket.bucketName);
    writer.fn.addEnvironment('REPORT_LINK_EXPIRY_SECONDS', String(linkExpiry.toSeconds()));

    if (props.slack) {
      writer.fn.addEnvironment('REPORT_SLACK_CHANNEL', props.slack.channel);
      grantSecret(secretRef(this, 'SlackBotToken', props.slack.botTokenSecret), writer, props.deploy);
    }
  }
}
