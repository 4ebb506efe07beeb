/** Network probes from where the step runs (Lambda in a VPC, or the sandbox). */
import { Socket } from 'node:net';
import { readCapped } from './metrics/reading.ts';
import { splitHostPort } from './net.ts';
import type { ProbeResult, Probes } from './ports.ts';

/** TCP connect and HTTP GET probes with hard timeouts. */
export const netProbes: Probes = {
  tcpConnect(hostPort, timeoutMs) {
    const { host, port } = splitHostPort(hostPort);
    const started = performance.now();
    return new Promise<ProbeResult>((resolve) => {
      const socket = new Socket();
      const done = (ok: boolean, detail: string) => {
        socket.destroy();
        resolve({ ok, detail, latencyMs: Math.round(performance.now() - started) });
      };
      socket.setTimeout(timeoutMs, () => done(false, `timeout after ${timeoutMs} ms`));
      socket.once('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
      socket.connect(port, host, () => done(true, 'connected'));
    });
  },
  async httpGet(url, timeoutMs) {
    const started = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      const body = await readCapped(res, 65_536, `the answer of ${url}`).catch(() => '');
      return {
        ok: res.ok,
        status: res.status,
        detail: `HTTP ${res.status}`,
        latencyMs: Math.round(performance.now() - started),
        body,
      };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const detail =
        err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (err.cause?.code ?? err.message);
      return { ok: false, detail, latencyMs: Math.round(performance.now() - started) };
    }
  },
};
