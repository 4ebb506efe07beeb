/**
 * Redis MONITOR as the drill and calibrate use it, on a busy real Redis (a live Gloo Redis is
 * busy). ioredis switches to monitoring only after MONITOR's OK has been handled, so a monitored
 * line in the same read as that OK used to make `monitor()` reject ("Command queue state error")
 * and the next one crash the process; startMonitor must start every time and record what follows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMonitor, writesOf } from '#local/monitor.ts';
import { type RedisProcess, startRedis } from '#local/redis-server.ts';

describe('startMonitor on a busy Redis', () => {
  let redis: RedisProcess | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('starts every time while another client pipelines commands, and records the writes after the start', async () => {
    // prepare: a client keeps the server busy with reads
    redis = await startRedis();
    const busy = redis.client();
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const p = busy.pipeline();
        for (let i = 0; i < 200; i++) p.get('{gloo-mesh}:global-lock:epoch');
        await p.exec();
      }
    })();
    // act: 40 starts in a row, each followed by one write it must see
    const seen: number[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const m = await startMonitor(redis.endpoint);
        await busy.set(`probe-${i}`, '1');
        await busy.get('{gloo-mesh}:global-lock:epoch'); // the write is in MONITOR's stream before this reply
        await new Promise((r) => setTimeout(r, 20));
        await m.stop();
        seen.push(writesOf(m.commands).filter((w) => w.key === `probe-${i}`).length);
      }
    } finally {
      stop = true;
      await load;
      busy.disconnect();
    }
    // assess
    expect(seen).toEqual(Array.from({ length: 40 }, () => 1));
  });
});
