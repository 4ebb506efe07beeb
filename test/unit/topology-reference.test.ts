import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_FILE, renderReference } from '../../scripts/topology-reference.ts';

describe('docs/topology.md', () => {
  it('is generated from the current schema (run `npm run docs:topology` after changing the topology schema)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderReference());
  });

  it('lists every field of the example topology with its JSDoc meaning', () => {
    const text = renderReference();
    for (const path of ['`servers[].id`', '`servers[].glooClusterName`', '`homeServer`', '`dns.recordName`'])
      expect(text).toContain(path);
    expect(text).toMatch(/`servers\[\]\.glooClusterName` .*common\.cluster/);
  });
});
