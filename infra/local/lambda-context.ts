/** A Lambda `Context` for running real handlers locally (the drill, the runner, the Slack stand-in). */
import type { Context } from 'aws-lambda';

/** A context for function `local-<name>`, with `remainingMs` left on the clock. */
export function localLambdaContext(name: string, remainingMs = 60_000): Context {
  return {
    functionName: `local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:local-${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/local-${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
