/** Input validation shared by every handler: zod issues turned into an `InvalidInput` naming each bad field. */

import { InvalidInput } from './errors.ts';
import * as z from './z.ts';

/** Formats zod issues as `path: message` lines (paths like `plan.source.server`). */
export function describeIssues(error: z.core.$ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(input)',
    message: i.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing: expected $1'),
  }));
}

/** Parses `data` with `schema`; throws {@link InvalidInput} naming every bad field. */
export function parseInput<S extends z.core.$ZodType>(schema: S, data: unknown, what = 'input'): z.infer<S> {
  const r = z.safeParse(schema, data);
  if (r.success) return r.data;
  const issues = describeIssues(r.error);
  throw new InvalidInput(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}
