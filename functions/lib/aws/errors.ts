/**
 * How the AWS adapters classify SDK errors. Retries live in the ASL (`Retry` on `TransientError`),
 * so an adapter turns throttling (and, outside the Redis promoter, an unanswered call) into a
 * {@link TransientError} and lets every other error through unchanged.
 */
import { type FailoverError, TransientError } from '../errors.ts';

/** Error names (or codes) AWS services use for throttling, as in `@smithy/service-error-classification`. */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'PriorRequestNotComplete',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
];

/** Error names of a call that got no answer: socket timeouts, aborted requests. */
const NO_ANSWER_NAMES = ['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException'];
/** Node.js error codes of a connection that never produced an HTTP response. */
const NO_ANSWER_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
];

interface SdkErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

function asSdk(err: unknown): SdkErrorLike {
  return typeof err === 'object' && err !== null ? (err as SdkErrorLike) : {};
}

/** The error's AWS name (`name`, or the query-protocol `Code`), e.g. `InvalidChangeBatch`. */
export function awsErrorName(err: unknown): string {
  const e = asSdk(err);
  return e.name && e.name !== 'Error' ? e.name : (e.Code ?? e.code ?? e.name ?? 'Error');
}

/** True when `err` is AWS throttling (by name, by the SDK's throttling trait, or HTTP 429). */
export function isThrottlingError(err: unknown): boolean {
  const e = asSdk(err);
  return (
    THROTTLING_ERROR_NAMES.includes(e.name ?? '') ||
    THROTTLING_ERROR_NAMES.includes(e.Code ?? '') ||
    e.$retryable?.throttling === true ||
    e.$metadata?.httpStatusCode === 429
  );
}

/**
 * True when the service did not answer: no HTTP response at all (connection refused or reset, DNS
 * failure, socket timeout) or a 5xx server fault after the SDK's own retries. Throttling is an answer.
 */
export function isUnansweredError(err: unknown): boolean {
  if (isThrottlingError(err)) return false;
  const e = asSdk(err);
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  if (e.$fault === 'server') return true;
  return NO_ANSWER_NAMES.includes(e.name ?? '') || NO_ANSWER_CODES.includes(e.code ?? '');
}

/** Details of an AWS error that are safe to log and to put in a Step Functions `Cause`. */
export function awsErrorDetails(err: unknown): Record<string, unknown> {
  const e = asSdk(err);
  return {
    awsError: awsErrorName(err),
    awsMessage: e.message,
    httpStatusCode: e.$metadata?.httpStatusCode,
    requestId: e.$metadata?.requestId,
  };
}

/** A {@link TransientError} describing `err` during `action` (e.g. `route53:ChangeResourceRecordSets`). */
export function transientFrom(
  err: unknown,
  action: string,
  extra: Record<string, unknown> = {},
): FailoverError {
  const why = isThrottlingError(err) ? 'throttled' : 'no answer';
  return new TransientError(`${action}: ${why} (${awsErrorName(err)}: ${asSdk(err).message ?? ''})`.trim(), {
    action,
    ...awsErrorDetails(err),
    ...extra,
  });
}

/**
 * Classifies an AWS SDK error: throttling -> {@link TransientError} (the ASL `Retry` catches it);
 * with `unansweredIsTransient` (the default) a call that got no answer too; anything else is
 * returned unchanged. Use as `catch (e) { throw classifyAwsError(e, 'cloudwatch:DescribeAlarms') }`.
 */
export function classifyAwsError(
  err: unknown,
  action: string,
  opts: { unansweredIsTransient?: boolean } = {},
): unknown {
  if (isThrottlingError(err)) return transientFrom(err, action);
  if ((opts.unansweredIsTransient ?? true) && isUnansweredError(err)) return transientFrom(err, action);
  return err;
}

/** Runs one SDK call and throws {@link classifyAwsError}'s verdict when it fails. */
export async function callAws<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyAwsError(e, action);
  }
}
