/**
 * An EKS bearer token made by the function itself: a presigned STS `GetCallerIdentity` URL whose
 * signature covers the `x-k8s-aws-id` header (the cluster name), valid 60 s, written as
 * `k8s-aws-v1.` + base64url(url) without padding. This is the format `aws eks get-token` and
 * aws-iam-authenticator produce and the EKS API server accepts (aws-iam-authenticator README,
 * "API Authorization from Outside a Cluster"; AWS CLI `eks get-token`). Signed with the SDK's
 * SigV4 signer, never with a shell-out.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from '../aws/sha256.ts';

/** The token prefix EKS expects. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The header naming the cluster; it must be signed. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** Options of {@link eksToken}. */
export interface EksTokenOptions {
  clusterName: string;
  /** The region of the STS endpoint (the cluster's region). */
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time (tests pin it). */
  now?: Date;
}

/** A bearer token for an EKS cluster; see the module comment. */
export async function eksToken(o: EksTokenOptions): Promise<string> {
  const signer = new SignatureV4({
    service: 'sts',
    region: o.region,
    credentials: o.credentials,
    sha256: NodeSha256,
    uriEscapePath: true,
  });
  const hostname = `sts.${o.region}.amazonaws.com`;
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: o.clusterName },
    },
    { expiresIn: 60, ...(o.now ? { signingDate: o.now } : {}) },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** The URL inside a token (for tests and diagnostics; the token is a secret: never log it). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new Error('not an EKS token');
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}
