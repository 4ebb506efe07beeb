/** Network probes and metrics scraping from where the step runs (Lambda in a VPC, or the sandbox). */
import { Socket } from 'node:net';
import { splitHostPort } from './net.ts';
import type { MetricsSource, ProbeResult, Probes } from './ports.ts';

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
      const body = await res.text();
      return {
        ok: res.ok,
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

/** Scrapes a metrics page over HTTP; throws when it cannot be read. */
export const httpMetrics: MetricsSource = {
  async scrape(metricsUrl, timeoutMs) {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`GET ${metricsUrl}: HTTP ${res.status}`);
    return res.text();
  },
};
