/**
 * The agent clusters a run expects back, kept OUT of the workflow state: Step Functions fails a run
 * whose state passes 262,144 bytes with States.DataLimitExceeded, which no Catch handles (AWS Step
 * Functions Developer Guide, "Step Functions service quotas"), and ten thousand cluster names are
 * over half a megabyte. The state carries a count, a digest and a sample; the list itself stays in
 * the topology (a static list) or in the cluster registry under the run's key (saved by preflight,
 * read by confirm-reconnect, which checks it against the digest).
 */
import { createHash } from 'node:crypto';
import * as z from './z.ts';

/** How many names the state shows (for people reading an execution). */
export const EXPECTED_SAMPLE_SIZE = 10;

/** What the state says about the expected set. */
export const ExpectedClusters = z.object({
  count: z.number().check(z.int(), z.nonnegative()),
  /** sha256 (hex) of the sorted, de-duplicated names joined by "\n". */
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')),
  /** `topology`: the static list; `registry`: the run's snapshot; `none`: not kept (empty set or dry run). */
  storedIn: z.enum(['topology', 'registry', 'none']),
  sample: z.array(z.string()).check(z.maxLength(EXPECTED_SAMPLE_SIZE)),
});
/** The expected set as the state carries it. */
export type ExpectedClusters = z.infer<typeof ExpectedClusters>;

/** Sorted, without duplicates: the canonical form the digest is taken over. */
export function canonical(clusters: readonly string[]): string[] {
  return [...new Set(clusters)].sort();
}

/** The digest of a set of names (order and duplicates do not matter). */
export function digestOf(clusters: readonly string[]): string {
  return createHash('sha256').update(canonical(clusters).join('\n')).digest('hex');
}

/** The state's description of a set. */
export function describeSet(
  clusters: readonly string[],
  storedIn: ExpectedClusters['storedIn'],
): ExpectedClusters {
  const c = canonical(clusters);
  return { count: c.length, sha256: digestOf(c), storedIn, sample: c.slice(0, EXPECTED_SAMPLE_SIZE) };
}

/** The registry key of a run's expected set (the execution id is unique per run; a redrive keeps it). */
export function runSetKey(executionId: string): string {
  return `expected#${executionId}`;
}
