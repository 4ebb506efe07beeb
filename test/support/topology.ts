/** Topology test helpers: the issues `parseTopology` names for a document it must refuse. */
import { type InvalidTopology, isNamed } from '#lib/errors.ts';
import { parseTopology, type TopologyIssue } from '#lib/topology.ts';

/** The issues of a topology document that must be refused (an accepted one fails the test). */
export function issuesOf(doc: unknown): TopologyIssue[] {
  try {
    parseTopology(doc);
  } catch (e) {
    if (isNamed(e, 'InvalidTopology'))
      return (e as InstanceType<typeof InvalidTopology>).details.issues as TopologyIssue[];
    throw e;
  }
  throw new Error('expected the topology to be rejected');
}
