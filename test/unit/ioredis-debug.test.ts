/**
 * The `debug` stand-in of the deployed bundles (functions/lib/redis/ioredis-debug.ts) selects
 * namespaces exactly as the debug package (4.x) it replaces: checked against the package itself.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import createDebug, { debugEnabled } from '#lib/redis/ioredis-debug.ts';

/** The real package (ioredis's dependency), with its enable/enabled API. */
const real = createRequire(import.meta.url)('debug') as {
  enable(namespaces: string): void;
  enabled(namespace: string): boolean;
  disable(): string;
};

const SETTINGS = [
  '',
  '*',
  'ioredis:*',
  'ioredis:redis',
  'ioredis:*,-ioredis:cluster',
  '*,-ioredis:*',
  'ioredis:red*',
  'ioredis:*s',
  '  ioredis:redis   ioredis:connection ',
  'other,ioredis:connection',
  '-ioredis:redis',
  'ioredis:r*s',
  'ioredis.redis',
];
const NAMESPACES = ['ioredis:redis', 'ioredis:cluster', 'ioredis:connection', 'ioredis:dataHandler', 'other'];

describe('ioredis debug output in the deployed bundles', () => {
  afterEach(() => real.disable());

  it('turns a namespace on for exactly the DEBUG values the debug package turns it on for', () => {
    // prepare
    const want: string[] = [];
    const got: string[] = [];
    // act
    for (const setting of SETTINGS) {
      real.enable(setting);
      for (const ns of NAMESPACES) {
        if (real.enabled(ns)) want.push(`${setting} -> ${ns}`);
        if (debugEnabled(ns, setting)) got.push(`${setting} -> ${ns}`);
      }
    }
    // assess: the same selection, and not an empty one
    expect(got).toEqual(want);
    expect(want.length).toBeGreaterThan(10);
  });

  it('writes a selected namespace as the package does without a terminal: date, namespace, formatted message', () => {
    // prepare
    const saved = process.env.DEBUG;
    process.env.DEBUG = 'ioredis:*';
    const lines: string[] = [];
    try {
      const on = createDebug('ioredis:redis');
      const off = createDebug('other');
      on.log = (line: unknown) => lines.push(String(line));
      off.log = on.log;
      // act
      on('status[%s]: %s -> %s', '127.0.0.1:6379', 'wait', 'connecting');
      off('never');
    } finally {
      if (saved === undefined) delete process.env.DEBUG;
      else process.env.DEBUG = saved;
    }
    // assess
    expect(lines).toEqual([
      expect.stringMatching(
        /^\d{4}-\d\d-\d\dT[\d:.]+Z ioredis:redis status\[127\.0\.0\.1:6379\]: wait -> connecting$/,
      ),
    ]);
  });
});
