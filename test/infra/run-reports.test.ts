/**
 * The run report pages bucket of each regional stack (infra/aws/lib/constructs/run-reports.ts):
 * KMS-encrypted, TLS-only, no public access, expiring pages, access logged, and the report
 * function limited to the pages it writes. (CloudFormation AWS::S3::Bucket reference; the
 * `s3:TlsVersion` condition: S3 User Guide, "Enforcing a minimum version of TLS".)
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthTestApp } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Cfn = any;
let west: Template;
beforeAll(() => {
  west = synthTestApp().templates.get('gloo-mgmt-mgmt-west')!;
}, 60_000);

const pagesBucket = () => {
  const [id, b] = Object.entries(west.findResources('AWS::S3::Bucket')).find(([k]) =>
    k.startsWith('RunReportsPages'),
  ) as [string, Cfn];
  return { id, props: b.Properties };
};

describe('the run report pages bucket', () => {
  it('encrypts with its own rotated KMS key, blocks public access and expires pages after 90 days', () => {
    const { props } = pagesBucket();
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() },
      BucketKeyEnabled: true,
    });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(props.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 90,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      Status: 'Enabled',
    });
    expect(props.LoggingConfiguration.DestinationBucketName).toBeDefined();
    west.hasResourceProperties('AWS::KMS::Key', {
      Description: 'gloo-failover run report pages',
      EnableKeyRotation: true,
    });
  });

  it('refuses requests without TLS, and TLS below 1.2', () => {
    const { id } = pagesBucket();
    const policy = Object.values(west.findResources('AWS::S3::BucketPolicy')).find(
      (p: Cfn) => p.Properties.Bucket.Ref === id,
    ) as Cfn;
    const denies = (policy.Properties.PolicyDocument.Statement as Cfn[]).filter((s) => s.Effect === 'Deny');
    expect(denies.map((s) => s.Condition)).toEqual(
      expect.arrayContaining([
        { Bool: { 'aws:SecureTransport': 'false' } },
        { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      ]),
    );
  });

  it('lets the report function put and read pages under runs/ only, and tells it the bucket and link lifetime', () => {
    const { id } = pagesBucket();
    const statements = Object.values(west.findResources('AWS::IAM::Policy')).flatMap(
      (p: Cfn) => p.Properties.PolicyDocument.Statement as Cfn[],
    );
    const s3 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect([...s3[0].Action].sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(s3[0].Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/runs/*']] });
    west.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Step 8'),
      Environment: {
        Variables: Match.objectLike({ REPORT_BUCKET: { Ref: id }, REPORT_LINK_EXPIRY_SECONDS: '43200' }),
      },
    });
  });
});
