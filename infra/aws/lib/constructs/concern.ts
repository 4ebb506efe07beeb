/**
 * A concern of the regional stack (notifications, network, approvals, trigger, probe, workflow,
 * dashboard): a construct that groups resources for the reader but is transparent to their
 * CloudFormation logical ids. The stack allocates logical ids as if the concerns were not in the
 * path, so splitting the stack into concerns (or moving a resource between them) never renames,
 * hence never replaces, a deployed resource (a renamed table would be a new, empty table).
 */
import { createHash } from 'node:crypto';
import type { CfnElement } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

const IS_CONCERN = Symbol.for('gloo-failover.concern');

/** A construct whose id is left out of the logical ids of the resources under it. */
export class Concern extends Construct {
  /** True when `c` is a {@link Concern}. */
  static isConcern(c: IConstruct): boolean {
    return (c as unknown as Record<symbol, unknown>)[IS_CONCERN] === true;
  }

  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, IS_CONCERN, { value: true });
  }
}

/**
 * The logical id of an element of `stack`: CDK's default scheme (`makeUniqueId` of the path below
 * the stack: human-readable part plus an 8-character MD5 of the path) over the path without its
 * concerns.
 */
export function logicalIdWithoutConcerns(stack: IConstruct, element: CfnElement): string {
  const scopes = element.node.scopes;
  const below = scopes.slice(scopes.indexOf(stack) + 1);
  return uniqueId(below.filter((c) => !Concern.isConcern(c)).map((c) => c.node.id));
}

// CDK's makeUniqueId (aws-cdk-lib core/lib/private/uniqueid.ts), which the package does not export.
const HIDDEN_ID = 'Default';
const HIDDEN_FROM_HUMAN_ID = 'Resource';
const MAX_HUMAN_LEN = 240;
const MAX_ID_LEN = 255;
const alnum = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');

/** CDK's unique id of a path: `Default` dropped, duplicates and `Resource` left out of the human part. */
export function uniqueId(path: string[]): string {
  const components = path.filter((x) => x !== HIDDEN_ID);
  if (components.length === 0) throw new Error('a logical id needs at least one path component');
  if (components.length === 1) {
    const candidate = alnum(components[0]!);
    if (candidate.length <= MAX_ID_LEN) return candidate;
  }
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of components) if (human.length === 0 || !human[human.length - 1]!.endsWith(c)) human.push(c);
  return (
    human
      .filter((x) => x !== HIDDEN_FROM_HUMAN_ID)
      .map(alnum)
      .join('')
      .slice(0, MAX_HUMAN_LEN) + hash
  );
}
