import { InvalidChangeBatch } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { classifyAwsError, isThrottlingError, isUnansweredError } from '#lib/aws/errors.ts';
import { isNamed } from '#lib/errors.ts';

const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });

describe('classifyAwsError', () => {
  it.each(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'PriorRequestNotComplete'])(
    'turns %s into a TransientError naming the action',
    (name) => {
      const out = classifyAwsError(sdkError(name, 400), 'route53:ChangeResourceRecordSets');
      expect(isNamed(out, 'TransientError')).toBe(true);
      expect((out as Error).message).toMatch(/^route53:ChangeResourceRecordSets: throttled/);
    },
  );

  it('recognises throttling by HTTP 429 and by the SDK throttling trait', () => {
    expect(isThrottlingError(sdkError('SomethingNew', 429))).toBe(true);
    expect(isThrottlingError(Object.assign(new Error('x'), { $retryable: { throttling: true } }))).toBe(true);
  });

  it('leaves other service errors unchanged', () => {
    const e = new InvalidChangeBatch({ message: 'bad batch', $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(e, 'route53:ChangeResourceRecordSets')).toBe(e);
    expect(isUnansweredError(e)).toBe(false);
  });

  it('treats a call without an answer (timeouts, refused connections, 5xx) as transient', () => {
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isUnansweredError(timeout)).toBe(true);
    expect(isUnansweredError(refused)).toBe(true);
    expect(isUnansweredError(sdkError('InternalFailure', 500))).toBe(true);
    expect(isUnansweredError(sdkError('AccessDeniedException', 403))).toBe(false);
    expect(isNamed(classifyAwsError(timeout, 'x'), 'TransientError')).toBe(true);
    expect(classifyAwsError(timeout, 'x', { unansweredIsTransient: false })).toBe(timeout);
  });
});
