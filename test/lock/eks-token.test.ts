/**
 * The EKS bearer token, checked against its documented format (aws-iam-authenticator README,
 * "API Authorization from Outside a Cluster"; AWS CLI `aws eks get-token`): `k8s-aws-v1.` +
 * base64url (no padding) of a presigned STS GetCallerIdentity URL whose SigV4 signature covers the
 * `x-k8s-aws-id` header, valid 60 s. The signature is recomputed here from the SigV4 algorithm as
 * AWS documents it ("Create a signed AWS API request", query-string signing), not with the signer.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeEksToken, eksToken } from '#lib/lock/eks-token.ts';
import { kubeconfigDocument } from '#lib/lock/kubeconfig.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const now = new Date('2026-11-29T12:00:00Z');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

describe('EKS token', () => {
  it('is k8s-aws-v1. + unpadded base64url of a presigned STS GetCallerIdentity URL, 60 s, signing x-k8s-aws-id', async () => {
    // act
    const token = await eksToken({ clusterName: 'gloo-mgmt-west', region: 'us-west-2', credentials, now });
    // assess
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = decodeEksToken(token);
    expect(url.origin).toBe('https://sts.us-west-2.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261129/us-west-2/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20261129T120000Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  });

  it('carries the SigV4 signature AWS documents for that request (recomputed independently)', async () => {
    // prepare
    const token = await eksToken({ clusterName: 'gloo-mgmt-west', region: 'us-west-2', credentials, now });
    const q = decodeEksToken(token).searchParams;
    const signature = q.get('X-Amz-Signature');
    q.delete('X-Amz-Signature');
    const enc = (s: string) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const canonicalQuery = [...q.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${enc(k)}=${enc(v)}`)
      .join('&');
    const canonicalRequest = [
      'GET',
      '/',
      canonicalQuery,
      'host:sts.us-west-2.amazonaws.com\nx-k8s-aws-id:gloo-mgmt-west\n',
      'host;x-k8s-aws-id',
      sha256(''),
    ].join('\n');
    const scope = '20261129/us-west-2/sts/aws4_request';
    const stringToSign = ['AWS4-HMAC-SHA256', '20261129T120000Z', scope, sha256(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${credentials.secretAccessKey}`, '20261129');
    for (const part of ['us-west-2', 'sts', 'aws4_request']) key = hmac(key, part);
    // act
    const expected = hmac(key, stringToSign).toString('hex');
    // assess
    expect(signature).toBe(expected);
  });

  it('differs per cluster: the cluster name is part of what is signed', async () => {
    const a = await eksToken({ clusterName: 'a', region: 'us-west-2', credentials, now });
    const b = await eksToken({ clusterName: 'b', region: 'us-west-2', credentials, now });
    expect(decodeEksToken(a).searchParams.get('X-Amz-Signature')).not.toBe(
      decodeEksToken(b).searchParams.get('X-Amz-Signature'),
    );
  });

  it('goes into a kubeconfig whose context is the topology kubeContext, with the cluster endpoint and CA', () => {
    const doc = kubeconfigDocument(
      {
        kubeContext: 'mgmt-west',
        clusterName: 'gloo-mgmt-west',
        region: 'us-west-2',
        endpoint: 'https://ABC.yl4.us-west-2.eks.amazonaws.com',
        certificateAuthorityData: 'Q0E=',
      },
      'k8s-aws-v1.x',
    );
    expect(doc).toMatchObject({
      'current-context': 'mgmt-west',
      contexts: [{ name: 'mgmt-west', context: { cluster: 'gloo-mgmt-west' } }],
      clusters: [
        {
          name: 'gloo-mgmt-west',
          cluster: {
            server: 'https://ABC.yl4.us-west-2.eks.amazonaws.com',
            'certificate-authority-data': 'Q0E=',
          },
        },
      ],
      users: [{ user: { token: 'k8s-aws-v1.x' } }],
    });
  });
});
