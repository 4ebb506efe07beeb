/**
 * SHA-256 (HMAC-SHA-256 when given a secret) on node:crypto, in the shape the SigV4 signer of
 * `@smithy/signature-v4` takes as `sha256` (what `@smithy/hash-node` provides in the SDK). Shared by
 * the EKS token and the Prometheus (AMP) request signing.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Checksum } from '@smithy/types';

/** The signer's `sha256` constructor. */
export class NodeSha256 implements Checksum {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret
      ? createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer))
      : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}
