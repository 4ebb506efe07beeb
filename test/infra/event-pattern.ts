/**
 * A small EventBridge event-pattern matcher (the subset the stacks use: exact values, nested
 * fields, `prefix`, `exists`, `anything-but`), so a test can evaluate a synthesized rule's pattern
 * against a real-shaped event without calling AWS (EventBridge `TestEventPattern`).
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function matchesValue(rule: Json, value: Json | undefined): boolean {
  if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
    if ('exists' in rule) return (value !== undefined) === rule.exists;
    if ('prefix' in rule) return typeof value === 'string' && value.startsWith(String(rule.prefix));
    if ('anything-but' in rule) {
      const but = rule['anything-but'];
      return value !== undefined && !(Array.isArray(but) ? but : [but]).some((b) => b === value);
    }
    throw new Error(`unsupported pattern operator: ${JSON.stringify(rule)}`);
  }
  return value === rule;
}

/** True when `event` matches `pattern` (EventBridge semantics: every field must match one of its values). */
export function matchesEventPattern(pattern: Record<string, Json>, event: Record<string, Json>): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const value = event[key];
    if (Array.isArray(rule)) {
      // A field matches when its value (or any element of an array value) matches any of the rule's values.
      const values = Array.isArray(value) ? value : [value];
      if (!rule.some((r) => values.some((v) => matchesValue(r, v as Json | undefined)))) return false;
    } else if (rule !== null && typeof rule === 'object') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      if (!matchesEventPattern(rule as Record<string, Json>, value as Record<string, Json>)) return false;
    } else throw new Error(`pattern field ${key} must be an array or an object`);
  }
  return true;
}
