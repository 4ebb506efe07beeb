/**
 * Generates docs/topology.md, the topology file reference, from the zod schema itself
 * (`TopologySchema` in functions/lib/topology.ts): field paths, types, constraints and defaults come
 * from `z.toJSONSchema`, descriptions from the JSDoc comments on the schema's properties. So the
 * reference cannot drift from what the parser accepts.
 *
 *   node scripts/topology-reference.ts          write docs/topology.md
 *   node scripts/topology-reference.ts --check  exit 1 when docs/topology.md is not current
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as z from 'zod';
import { TopologySchema } from '#lib/topology.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'functions/lib/topology.ts');
/** Where the reference is written. */
export const REFERENCE_FILE = join(ROOT, 'docs/topology.md');

type Json = Record<string, unknown>;

/** JSDoc of each object literal's properties in the schema source, keyed by the literal's sorted key set. */
function jsdocByKeySet(file: string): Map<string, Map<string, string>> {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const literals = new Map<string, ts.ObjectLiteralExpression>();
  const visitDecls = (n: ts.Node): void => {
    if (
      ts.isVariableDeclaration(n) &&
      ts.isIdentifier(n.name) &&
      n.initializer &&
      ts.isObjectLiteralExpression(n.initializer)
    )
      literals.set(n.name.text, n.initializer);
    ts.forEachChild(n, visitDecls);
  };
  visitDecls(sf);
  const docOf = (node: ts.Node): string =>
    ts
      .getJSDocCommentsAndTags(node)
      .filter(ts.isJSDoc)
      .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
  const entries = (lit: ts.ObjectLiteralExpression): [string, string][] =>
    lit.properties.flatMap((p): [string, string][] => {
      if (ts.isSpreadAssignment(p) && ts.isIdentifier(p.expression)) {
        const spread = literals.get(p.expression.text);
        return spread ? entries(spread) : [];
      }
      if (
        (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) &&
        p.name &&
        ts.isIdentifier(p.name)
      )
        return [[p.name.text, docOf(p)]];
      return [];
    });
  const out = new Map<string, Map<string, string>>();
  const visit = (n: ts.Node): void => {
    if (ts.isObjectLiteralExpression(n)) {
      const e = entries(n);
      const key = e
        .map(([k]) => k)
        .sort()
        .join(',');
      const prev = out.get(key) ?? new Map<string, string>();
      for (const [k, d] of e) if (d && !prev.get(k)) prev.set(k, d);
      out.set(key, prev);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

interface Row {
  path: string;
  type: string;
  required: string;
  description: string;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown) => `\`${esc(typeof v === 'string' ? v : JSON.stringify(v))}\``;

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) {
    const vals = s.enum as unknown[];
    return vals.length > 8
      ? `one of ${vals.length} values (${vals.slice(0, 3).map(code).join(', ')}, ...)`
      : vals.map(code).join(' \\| ');
  }
  if ('const' in s) return code(s.const);
  const parts: string[] = [];
  const t = s.type as string | undefined;
  if (t === 'array') {
    const items = (s.items ?? {}) as Json;
    parts.push(`array of ${items.type === 'object' ? 'objects' : typeOf(items)}`);
    if (s.minItems !== undefined || s.maxItems !== undefined)
      parts.push(
        s.minItems === s.maxItems
          ? `exactly ${s.minItems}`
          : `${s.minItems ?? 0}..${s.maxItems ?? '∞'} items`,
      );
  } else if (t === 'object') {
    parts.push(s.propertyNames || s.additionalProperties ? 'map' : 'object');
  } else if (t) parts.push(t);
  else if (s.anyOf || s.oneOf) parts.push('one of the shapes below');
  if (s.pattern) parts.push(`pattern ${code(s.pattern)}`);
  if (s.format) parts.push(String(s.format));
  const bound = (v: unknown) => typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER;
  if (bound(s.minimum)) parts.push(`≥ ${s.minimum}`);
  if (bound(s.exclusiveMinimum)) parts.push(`> ${s.exclusiveMinimum}`);
  if (bound(s.maximum)) parts.push(`≤ ${s.maximum}`);
  if (bound(s.exclusiveMaximum)) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength !== undefined || s.maxLength !== undefined)
    parts.push(`length ${s.minLength ?? 0}..${s.maxLength ?? '∞'}`);
  return parts.join(', ');
}

function walk(s: Json, path: string, docs: Map<string, Map<string, string>>, rows: Row[]): void {
  const variants = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (variants) {
    for (const v of variants) {
      const kind = (v.properties as Record<string, Json> | undefined)?.kind?.const;
      walk(v, kind !== undefined ? `${path}[kind=${String(kind)}]` : path, docs, rows);
    }
    return;
  }
  if (s.type === 'array' && (s.items as Json | undefined)?.type === 'object') {
    walk(s.items as Json, `${path}[]`, docs, rows);
    return;
  }
  const props = s.properties as Record<string, Json> | undefined;
  if (props) {
    const required = new Set((s.required as string[] | undefined) ?? []);
    const own = docs.get(Object.keys(props).sort().join(',')) ?? new Map<string, string>();
    for (const [k, v] of Object.entries(props)) {
      const p = path ? `${path}.${k}` : k;
      rows.push({
        path: p,
        type: typeOf(v),
        required: required.has(k) ? 'required' : 'default' in v ? `default ${code(v.default)}` : 'optional',
        description: own.get(k) ?? '',
      });
      walk(v, p, docs, rows);
    }
    return;
  }
  const values = (s.additionalProperties ?? undefined) as Json | undefined;
  if (values && typeof values === 'object' && values.type === 'object')
    walk(values, `${path}.<key>`, docs, rows);
}

/** The reference as Markdown. */
export function renderReference(): string {
  const schema = z.toJSONSchema(TopologySchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const rows: Row[] = [];
  walk(schema, '', jsdocByKeySet(SOURCE), rows);
  const lines = [
    '# Topology file reference',
    '',
    '<!-- Generated by `npm run docs:topology` from the zod schema in functions/lib/topology.ts. Do not edit: CI fails when it is not current. -->',
    '',
    'One JSON file describes a deployment; see [`infra/topology.example.json`](../infra/topology.example.json).',
    'A bad file is refused with every wrong field named by its path, and nothing starts. Checks',
    'across fields (duplicate server ids, a Redis member and a record value per server, ...) are listed',
    'in `crossFieldIssues` in the schema source.',
    '',
    '| field | type | required / default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${esc(r.path)}\` | ${r.type} | ${r.required} | ${esc(r.description)} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderReference();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REFERENCE_FILE, 'utf8');
    } catch {}
    if (current !== text) {
      console.error('docs/topology.md is not current: run `npm run docs:topology` and commit it');
      process.exit(1);
    }
    console.log('docs/topology.md is current');
  } else {
    writeFileSync(REFERENCE_FILE, text);
    console.log(`wrote ${REFERENCE_FILE} (${text.split('\n').length} lines)`);
  }
}
