/**
 * Entry of a test bundle (test/infra/bundles.test.ts): ioredis tries once to reach the port given
 * as the first argument, so that its `debug` output, if `DEBUG` selects it, shows on stderr.
 */
import { Redis } from 'ioredis';

const r = new Redis({
  host: '127.0.0.1',
  port: Number(process.argv[2]),
  lazyConnect: true,
  retryStrategy: () => null,
  maxRetriesPerRequest: 0,
});
r.on('error', () => undefined);
await r.connect().catch(() => undefined);
r.disconnect();
