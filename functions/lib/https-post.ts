/** HTTPS POST with a hard timeout (node:https), optionally trusting a given CA: the webhook poster. */
import { request } from 'node:https';
import type { WebhookPoster } from './active-signal.ts';

/** Posts over https only; an http URL is refused before any connection. */
export const httpsPoster: WebhookPoster = {
  post: ({ url, body, headers, timeoutMs, ca }) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      if (u.protocol !== 'https:') return reject(new Error(`refused: ${u.origin} is not https`));
      const req = request(
        u,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          ...(ca ? { ca } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
      req.end(body);
    }),
};
