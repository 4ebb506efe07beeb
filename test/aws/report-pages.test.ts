/**
 * The run report page in S3 and its presigned link in SNS and Slack (aws-sdk-client-mock).
 * Presigned URL behaviour: S3 User Guide, "Download and upload objects with presigned URLs"
 * (SigV4 links last at most 7 days; a link signed with a role session dies with the session).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { destinationsFromEnv } from '#functions/report/handler.ts';
import { publishReport } from '#functions/report/publish.ts';
import { pageKey, S3ReportPageStore } from '#lib/aws/report-pages.ts';
import { parseTopology } from '#lib/topology.ts';
import { sampleReport } from '#test/report/sample.ts';
import example from '../../infra/topology.example.json' with { type: 'json' };

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
afterEach(() => {
  s3.reset();
  sns.reset();
  vi.unstubAllEnvs();
});

const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' };
const client = () => new S3Client({ region: 'us-west-2', credentials });
const silent = { error: vi.fn() };

describe('S3ReportPageStore', () => {
  it('stores the page as UTF-8 HTML that no cache keeps, and returns a presigned GET link of the given lifetime', async () => {
    // prepare
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"' });
    const store = new S3ReportPageStore(client(), 'gloo-reports-bucket', 3600);
    // act
    const { url } = await store.put('runs/m/x.html', '<!doctype html><p>hi</p>');
    // assess
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'gloo-reports-bucket',
      Key: 'runs/m/x.html',
      Body: '<!doctype html><p>hi</p>',
      ContentType: 'text/html; charset=utf-8',
      CacheControl: 'private, no-store',
    });
    const u = new URL(url);
    expect(u.hostname).toBe('gloo-reports-bucket.s3.us-west-2.amazonaws.com');
    expect(u.pathname).toBe('/runs/m/x.html');
    expect(u.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(u.searchParams.get('X-Amz-Security-Token')).toBe('session-token');
    expect(u.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a link lifetime beyond the 7 days SigV4 allows, naming the setting', () => {
    expect(() => new S3ReportPageStore(client(), 'b', 8 * 86_400)).toThrow(/report link expiry.*604800/);
  });

  it('keys a page by state machine and execution name', () => {
    expect(
      pageKey('arn:aws:states:us-west-2:123456789012:execution:gloo-failover-to-west:INC-1_a', 'x'),
    ).toBe('runs/gloo-failover-to-west/INC-1_a.html');
    expect(pageKey('local/../../etc', '2026-11-29T03:00:00.000Z')).toBe(
      'runs/other/local_.._.._etc-2026-11-29T03_00_00.000Z.html',
    );
  });
});

describe('publishing the report', () => {
  const topology = parseTopology(example);

  it('stores the page, then sends its link in the SNS report and the Slack message', async () => {
    // prepare
    vi.stubEnv('AWS_REGION', 'us-west-2');
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', credentials.sessionToken);
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const posted: string[] = [];
    const to = {
      ...destinationsFromEnv(topology, {
        REPORT_BUCKET: 'reports-west',
        REPORT_LINK_EXPIRY_SECONDS: '7200',
        NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:gloo-notify',
      }),
      slack: {
        post: async (text: string, blocks: unknown[]) => void posted.push(text, JSON.stringify(blocks)),
      },
      log: silent,
    };
    // act
    const out = await publishReport(sampleReport(), to);
    // assess
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Key).toBe('runs/gloo-mgmt-failover-to-mgmt-west/mgmt-east-down-20261129T0300.html');
    expect(String(put.Body)).toContain('<svg class="gantt"');
    expect(new URL(out.pageUrl!).searchParams.get('X-Amz-Expires')).toBe('7200');
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!);
    expect(message.pageUrl).toBe(out.pageUrl);
    expect(message.outcome).toBe('FailedOver');
    expect(posted[1]).toContain(`<${out.pageUrl}|Open the run report>`);
    expect(silent.error).not.toHaveBeenCalled();
  });

  it('still publishes the report, without a link, when the page cannot be stored', async () => {
    // prepare
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    sns.on(PublishCommand).resolves({});
    const log = { error: vi.fn() };
    const to = {
      pages: new S3ReportPageStore(client(), 'reports-west', 3600),
      topic: {
        publish: async (subject: string, message: string) =>
          void (await new SNSClient({ region: 'us-west-2', credentials }).send(
            new PublishCommand({
              TopicArn: 'arn:aws:sns:us-west-2:123456789012:t',
              Subject: subject,
              Message: message,
            }),
          )),
      },
      log,
    };
    // act
    const out = await publishReport(sampleReport(), to);
    // assess
    expect(out.pageUrl).toBeUndefined();
    expect(log.error).toHaveBeenCalledWith('could not store the run report page', expect.any(Error));
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).pageUrl).toBeUndefined();
  });

  it('turns on no destination when the environment names none (the sandbox)', () => {
    const to = destinationsFromEnv(topology, {});
    expect([to.pages, to.topic, to.slack]).toEqual([undefined, undefined, undefined]);
  });
});
