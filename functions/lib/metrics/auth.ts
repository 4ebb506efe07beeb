/**
 * Authorization of Prometheus queries, as `metrics.auth` says: SigV4 (Amazon Managed Prometheus:
 * "requests must be signed with the AWS Signature Version 4 signing process", service `aps`,
 * AMP user guide "Query using Prometheus-compatible APIs") with the function's own credentials,
 * or a bearer token / basic credentials read from a Secrets Manager secret. Secret values never
 * appear in errors.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from '../aws/sha256.ts';
import type { RequestAuthorizer } from './prometheus.ts';

/** What {@link authorizerFor} needs from the world. */
export interface AuthDeps {
  /** A JSON secret by id or ARN (Secrets Manager in AWS). */
  secretJson(secretId: string): Promise<Record<string, unknown>>;
  /** AWS credentials for SigV4 (the Lambda role's). */
  credentials: AwsCredentialIdentityProvider;
}

/** The authorizer for every server's `metrics.auth`. */
export function authorizerFor(deps: AuthDeps): RequestAuthorizer {
  return async (server, req) => {
    const m = server.metrics;
    if (m.source !== 'prometheus' || !m.auth) return {};
    const auth = m.auth;
    if (auth.kind === 'sigv4') {
      const signer = new SignatureV4({
        credentials: deps.credentials,
        region: auth.region,
        service: auth.service,
        sha256: NodeSha256,
      });
      const signed = await signer.sign({
        method: req.method,
        protocol: req.url.protocol,
        hostname: req.url.hostname,
        port: req.url.port ? Number(req.url.port) : undefined,
        path: req.url.pathname,
        query: Object.fromEntries(req.url.searchParams),
        headers: req.headers,
        body: req.body,
      });
      return signed.headers;
    }
    const s = await deps.secretJson(auth.secret);
    if (auth.kind === 'bearer') {
      if (typeof s.token !== 'string' || !s.token)
        throw new Error(
          `secret ${auth.secret} (metrics.auth of ${server.id}): "token" must be a non-empty string`,
        );
      return { authorization: `Bearer ${s.token}` };
    }
    if (typeof s.username !== 'string' || typeof s.password !== 'string')
      throw new Error(
        `secret ${auth.secret} (metrics.auth of ${server.id}): "username" and "password" must be strings`,
      );
    return { authorization: `Basic ${Buffer.from(`${s.username}:${s.password}`).toString('base64')}` };
  };
}
