/**
 * TLS readiness: a handshake to an address with a given root CA and server name (SNI), as an
 * agent does to the relay (`glooAgent.relay.serverAddress`, `glooAgent.relay.authority`, the root
 * CA of `relay-root-tls-secret`; shared/REFERENCE.md: both management clusters must share the root
 * CA, token and authority, or agents fail TLS after a failover). The handshake sends no client
 * certificate: an agent's first connection carries only its identity token (ASSUMPTION, see the
 * docs/assumptions.md), so a server that requires one would show as `handshake failed`.
 */
import { connect } from 'node:tls';
import { splitHostPort } from './net.ts';

/** Why a handshake failed, in the operator's words. */
export type TlsProblem =
  | 'unknown-ca'
  | 'wrong-name'
  | 'expired'
  | 'not-yet-valid'
  | 'unreachable'
  | 'handshake-failed';

/** The result of one handshake. */
export interface TlsCheckResult {
  ok: boolean;
  problem?: TlsProblem;
  /** e.g. "certificate signed by an unknown CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)". */
  detail: string;
  latencyMs: number;
  /** The presented certificate, when one was received. */
  peer?: { subject: string; issuer: string; validTo: string };
}

/** The TLS check port (a real handshake in AWS and in the sandbox). */
export interface TlsCheck {
  handshake(
    hostPort: string,
    opts: { ca: string; servername: string },
    timeoutMs: number,
  ): Promise<TlsCheckResult>;
}

const PROBLEMS: Record<string, [TlsProblem, string]> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unknown-ca', 'certificate signed by an unknown CA'],
  UNABLE_TO_GET_ISSUER_CERT: ['unknown-ca', 'certificate signed by an unknown CA'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['unknown-ca', 'certificate signed by an unknown CA'],
  SELF_SIGNED_CERT_IN_CHAIN: ['unknown-ca', 'certificate chain ends in an untrusted root CA'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['unknown-ca', 'self-signed certificate not issued by the root CA'],
  CERT_SIGNATURE_FAILURE: ['unknown-ca', 'certificate signature does not verify with the root CA'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['wrong-name', 'certificate does not name the authority'],
  CERT_HAS_EXPIRED: ['expired', 'certificate expired'],
  CERT_NOT_YET_VALID: ['not-yet-valid', 'certificate not yet valid'],
};

/** A handshake with node:tls (certificate chain and name verified). */
export const nodeTlsCheck: TlsCheck = {
  handshake(hostPort, opts, timeoutMs) {
    const { host, port } = splitHostPort(hostPort);
    const started = performance.now();
    return new Promise((resolve) => {
      let done = false;
      const socket = connect({
        host,
        port,
        servername: opts.servername,
        ca: opts.ca,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      });
      const finish = (r: Omit<TlsCheckResult, 'latencyMs' | 'peer'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const c = socket.getPeerCertificate?.();
        const peer =
          c && Object.keys(c).length
            ? { subject: c.subject?.CN ?? '', issuer: c.issuer?.CN ?? '', validTo: c.valid_to ?? '' }
            : undefined;
        socket.destroy();
        resolve({ ...r, latencyMs: Math.round(performance.now() - started), ...(peer ? { peer } : {}) });
      };
      const timer = setTimeout(
        () =>
          finish({ ok: false, problem: 'unreachable', detail: `no TLS handshake within ${timeoutMs} ms` }),
        timeoutMs,
      );
      socket.once('secureConnect', () => finish({ ok: true, detail: 'handshake ok, certificate verified' }));
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        const known = PROBLEMS[code];
        if (known) finish({ ok: false, problem: known[0], detail: `${known[1]} (${code})` });
        else if (
          ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT'].includes(
            code,
          )
        )
          finish({ ok: false, problem: 'unreachable', detail: code });
        else finish({ ok: false, problem: 'handshake-failed', detail: `${code || e.message}` });
      });
    });
  },
};
