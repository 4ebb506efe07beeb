/**
 * A kubeconfig for one EKS cluster, written by the lock function for meshctl: the context named as
 * the topology's `kubeContext`, the cluster's endpoint and CA, and a bearer token the function
 * signs itself ({@link eksToken}; valid 60 s, so it is written fresh for every switch). JSON is
 * valid YAML, and kubeconfig files are read as YAML. The file is private to the process (0600)
 * and lives in /tmp, the only writable path in Lambda.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { eksToken } from './eks-token.ts';

/** The EKS cluster a kube context points at. */
export interface EksClusterRef {
  kubeContext: string;
  clusterName: string;
  region: string;
  endpoint: string;
  certificateAuthorityData: string;
}

/** The kubeconfig document (one cluster, one user, one context). */
export function kubeconfigDocument(c: EksClusterRef, token: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: c.clusterName,
        cluster: { server: c.endpoint, 'certificate-authority-data': c.certificateAuthorityData },
      },
    ],
    users: [{ name: `${c.clusterName}-lock-function`, user: { token } }],
    contexts: [
      { name: c.kubeContext, context: { cluster: c.clusterName, user: `${c.clusterName}-lock-function` } },
    ],
    'current-context': c.kubeContext,
  };
}

/** Writes a kubeconfig with a fresh token; returns its path. */
export async function writeEksKubeconfig(
  c: EksClusterRef,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  dir = mkdtempSync(join(tmpdir(), 'kube-')),
): Promise<string> {
  const token = await eksToken({ clusterName: c.clusterName, region: c.region, credentials });
  const path = join(dir, 'config');
  writeFileSync(path, JSON.stringify(kubeconfigDocument(c, token)), { mode: 0o600 });
  return path;
}
