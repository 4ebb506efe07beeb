/**
 * The run report as one self-contained HTML page: a timeline (Gantt) of the states coloured by RTO
 * phase, the RTO breakdown, lock/Redis/DNS/agents before -> after, the verification evidence, the
 * approvals, errors and next actions. Hand-written inline SVG and CSS, no script and no external
 * resource: the page's Content-Security-Policy (`default-src 'none'`) forbids every fetch, so it
 * opens the same from S3, a mail attachment or a laptop without network.
 */
import type { Phase, RunReport, Snapshot, StepRow } from './report.ts';

/** Extra sections the local drill adds to the page (the drill measures what a run cannot see). */
export interface DrillExtras {
  /** End-to-end figures measured outside the workflow (detection, outage -> all agents back). */
  rto: { label: string; ms: number }[];
  checks: { name: string; ok: boolean; detail: string }[];
  timeline: { tMs: number; event: string }[];
}

/** What {@link renderReportPage} draws. */
export interface ReportPage {
  title: string;
  /** One run (AWS) or the drill's runs (failover, then failback). */
  runs: RunReport[];
  drill?: DrillExtras;
}

/** The colour of each RTO phase (Okabe-Ito palette: tells apart with colour-blindness too). */
export const PHASE_COLOURS: Record<Phase, string> = {
  preflight: '#999999',
  verification: '#E69F00',
  approval: '#CC79A7',
  promotion: '#D55E00',
  lock: '#0072B2',
  DNS: '#56B4E9',
  reconnection: '#009E73',
  report: '#666666',
};

const PHASE_ORDER = Object.keys(PHASE_COLOURS) as Phase[];

/** Escapes text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A duration as the page shows it: whole milliseconds with thousands separators (`2,343 ms`). */
export function formatMs(ms: number): string {
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}

/** Milliseconds per phase, in phase order (only phases that ran). */
export function phaseTotals(steps: StepRow[]): { phase: Phase; ms: number }[] {
  return PHASE_ORDER.flatMap((phase) => {
    const rows = steps.filter((s) => s.phase === phase);
    return rows.length ? [{ phase, ms: rows.reduce((n, r) => n + r.durationMs, 0) }] : [];
  });
}

/** A round tick interval (1, 2 or 5 x 10^k ms) giving at most about 8 ticks over `spanMs`. */
function tickStep(spanMs: number): number {
  const raw = Math.max(spanMs, 1) / 8;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow) || 1;
}

const tickLabel = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${ms} ms`);

/** The Gantt chart of one run: one bar per step, x = time since the first step started. */
export function ganttSvg(steps: StepRow[]): string {
  if (steps.length === 0) return '<p class="muted">No step recorded a timing.</p>';
  const t0 = Math.min(...steps.map((s) => Date.parse(s.startedAt)));
  const t1 = Math.max(...steps.map((s) => Date.parse(s.endedAt)));
  const span = Math.max(t1 - t0, 1);
  const [labelW, plotW, rowH, top] = [250, 620, 26, 24];
  const width = labelW + plotW + 110;
  const height = top + rowH * steps.length + 8;
  const x = (ms: number) => labelW + (ms / span) * plotW;
  const step = tickStep(span);
  const ticks: string[] = [];
  for (let ms = 0; ms <= span; ms += step)
    ticks.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${top - 4}" x2="${x(ms).toFixed(1)}" y2="${height - 8}" class="grid"/>` +
        `<text x="${x(ms).toFixed(1)}" y="${top - 8}" class="tick">${esc(tickLabel(ms))}</text>`,
    );
  const bars = steps.map((s, i) => {
    const start = Date.parse(s.startedAt) - t0;
    const w = Math.max((s.durationMs / span) * plotW, 1.5);
    const y = top + i * rowH;
    return (
      `<g class="bar" data-step="${esc(s.step)}" data-phase="${esc(s.phase)}" data-duration-ms="${s.durationMs}">` +
      `<text x="${labelW - 8}" y="${y + 17}" class="label">${esc(s.states.join(' → '))}</text>` +
      `<rect x="${x(start).toFixed(2)}" y="${y + 4}" width="${w.toFixed(2)}" height="${rowH - 8}" rx="2" fill="${PHASE_COLOURS[s.phase]}">` +
      `<title>${esc(`${s.step} (${s.phase}): ${formatMs(s.durationMs)} — ${s.result}`)}</title></rect>` +
      `<text x="${(x(start) + w + 6).toFixed(2)}" y="${y + 17}" class="dur">${esc(formatMs(s.durationMs))}</text>` +
      '</g>'
    );
  });
  return (
    `<svg class="gantt" role="img" aria-label="Timeline of the run's states" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    ticks.join('') +
    bars.join('') +
    '</svg>'
  );
}

function legend(steps: StepRow[]): string {
  const phases = PHASE_ORDER.filter((p) => steps.some((s) => s.phase === p));
  return `<p class="legend">${phases
    .map((p) => `<span><i style="background:${PHASE_COLOURS[p]}"></i>${esc(p)}</span>`)
    .join('')}</p>`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return (
    `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`
  );
}

const td = (v: unknown, attrs = '') => `<td${attrs ? ` ${attrs}` : ''}>${esc(v)}</td>`;

function snapshotRows(before: Snapshot | null, after: Snapshot): string[][] {
  const lock = (s: Snapshot | null) =>
    s
      ? s.lockHolder === null && s.lockEpoch === null
        ? 'unknown'
        : `${s.lockHolder ?? 'nobody'} (epoch ${s.lockEpoch ?? '?'})`
      : '—';
  const dns = (s: Snapshot | null) =>
    s ? `${s.dnsValues?.join(', ') ?? 'unknown'}${s.dnsPointsTo ? ` (${s.dnsPointsTo})` : ''}` : '—';
  const agents = (s: Snapshot | null) =>
    s?.agents
      ? `${s.agents.count}${s.agents.of !== undefined ? ` of ${s.agents.of}` : ''} on ${s.agents.server} (${s.agents.source})`
      : '—';
  const rows: [string, string, string][] = [
    ['global lock', lock(before), lock(after)],
    ['Redis primary', before ? (before.redisPrimary ?? 'unknown') : '—', after.redisPrimary ?? 'unknown'],
    ['DNS answer', dns(before), dns(after)],
    ['agents', agents(before), agents(after)],
  ];
  return rows.map(([what, b, a]) => [
    td(what, `data-what="${esc(what)}"`),
    td(b),
    td(a, b !== a && b !== '—' ? 'class="changed"' : ''),
  ]);
}

function runSection(r: RunReport, i: number): string {
  const ok = r.outcome === 'FailedOver' || r.outcome === 'AlreadyActive' || r.outcome === 'DryRunComplete';
  const meta: [string, string][] = [
    [
      'direction',
      `${r.direction}: ${r.source.server} (${r.source.region}) → ${r.target.server} (${r.target.region})`,
    ],
    ['incident', r.incidentId],
    ['trigger', `${r.trigger}, requested by ${r.requestedBy}`],
    ['execution', r.executionId],
    ['started', r.startedAt ?? 'unknown'],
    ['reported', r.reportedAt],
    ['dry run', r.dryRun ? 'yes: nothing was changed' : 'no'],
  ];
  const v = r.verification;
  const t0 = Math.min(...r.steps.map((s) => Date.parse(s.startedAt)));
  const parts = [
    `<section class="run" id="run-${i}" data-outcome="${esc(r.outcome)}">`,
    `<h2><span class="badge ${ok ? 'ok' : 'bad'}">${esc(r.outcome)}</span> ${esc(r.summary)}</h2>`,
    `<dl>${meta.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${esc(val)}</dd>`).join('')}</dl>`,
    '<h3>Timeline</h3>',
    legend(r.steps),
    ganttSvg(r.steps),
    table(
      ['step', 'states', 'phase', 'start', 'duration', 'result'],
      r.steps.map((s) => [
        td(s.step),
        `<td class="states">${s.states.map((st) => `<code class="state">${esc(st)}</code>`).join(' ')}</td>`,
        td(s.phase),
        td(`+${formatMs(Date.parse(s.startedAt) - t0)}`, `class="num" title="${esc(s.startedAt)}"`),
        td(
          formatMs(s.durationMs),
          `class="num" data-step="${esc(s.step)}" data-duration-ms="${s.durationMs}"`,
        ),
        td(s.result),
      ]),
      'steps',
    ),
    '<h3>RTO phases</h3>',
    table(
      ['phase', 'duration'],
      phaseTotals(r.steps).map((p) => [
        td(p.phase),
        td(formatMs(p.ms), `class="num" data-phase="${esc(p.phase)}" data-duration-ms="${p.ms}"`),
      ]),
      'phases',
    ),
    '<h3>Before → after</h3>',
    table(
      ['', 'before (preflight)', 'after (re-read by the report)'],
      snapshotRows(r.before, r.after),
      'state',
    ),
    r.after.readErrors.length
      ? `<p class="warn">Could not read after the run: ${esc(r.after.readErrors.join('; '))}</p>`
      : '',
    r.changed.length
      ? `<ul class="changed">${r.changed.map((c) => `<li>${esc(c.what)}: ${esc(c.before)} → ${esc(c.after)}</li>`).join('')}</ul>`
      : '<p>Nothing changed.</p>',
    '<h3>Verification</h3>',
    v
      ? `<p>${v.skipped ? 'Skipped by the operator (force.skipVerification).' : `${v.votes} signal(s) say ${esc(v.want)}, quorum ${v.quorum}: ${v.confirmed ? 'confirmed' : 'not confirmed'}.`}</p>` +
        table(
          ['signal', 'verdict', 'detail'],
          v.signals.map((g) => [td(g.kind), td(g.verdict, `class="v-${esc(g.verdict)}"`), td(g.detail)]),
          'signals',
        ) +
        (v.evidence.length ? `<ul>${v.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : '')
      : '<p class="muted">No verification ran.</p>',
    '<h3>Approvals</h3>',
    r.approvals.length
      ? table(
          ['decision', 'by', 'at', 'detail'],
          r.approvals.map((a) => [td(a.decision), td(a.by), td(a.at ?? 'unknown'), td(a.detail)]),
          'approvals',
        )
      : '<p class="muted">No approval gate in this run.</p>',
    '<h3>Errors and next actions</h3>',
    r.error
      ? `<p class="error"><b>${esc(r.error.name)}</b>: ${esc(r.error.message)}</p>`
      : '<p>No error.</p>',
    r.nextActions.length
      ? `<ol class="next">${r.nextActions.map((a) => `<li>${esc(a)}</li>`).join('')}</ol>`
      : '<p>Nothing left to do.</p>',
    '</section>',
  ];
  return parts.join('\n');
}

function drillSection(d: DrillExtras): string {
  return [
    '<section id="drill"><h2>Drill</h2>',
    '<h3>End to end (measured by the drill)</h3>',
    table(
      ['figure', 'duration'],
      d.rto.map((x) => [td(x.label), td(formatMs(x.ms), `class="num" data-duration-ms="${x.ms}"`)]),
      'drill-rto',
    ),
    '<h3>Checks</h3>',
    table(
      ['', 'check', 'detail'],
      d.checks.map((c) => [
        td(c.ok ? 'ok' : 'FAIL', `class="${c.ok ? 'v-up' : 'v-down'}"`),
        td(c.name),
        td(c.detail),
      ]),
      'checks',
    ),
    '<details><summary>Event log</summary><pre>',
    esc(d.timeline.map((e) => `${`+${(e.tMs / 1000).toFixed(2)}s`.padStart(9)}  ${e.event}`).join('\n')),
    '</pre></details></section>',
  ].join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1040px;color:#1b1b1b;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:20px 0 6px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:#555}dd{margin:0;word-break:break-all}
table{border-collapse:collapse;margin:6px 0;width:100%}th,td{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top}
th{font-weight:600;background:#f6f6f6}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.changed{font-weight:600}code.state{background:#f0f0f0;padding:0 4px;border-radius:3px;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:13px;vertical-align:2px}.ok{background:#1a7f37}.bad{background:#cf222e}
.muted{color:#777}.warn{color:#9a6700}.error{color:#cf222e}.v-down{color:#cf222e}.v-up{color:#1a7f37}
.legend span{margin-right:14px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
svg.gantt{max-width:100%;height:auto;font-size:12px}svg .grid{stroke:#e6e6e6}svg .tick{fill:#777;text-anchor:middle;font-size:11px}
svg .label{text-anchor:end;fill:#333}svg .dur{fill:#333;font-variant-numeric:tabular-nums}
section.run{border-top:2px solid #ddd;margin-top:24px}pre{font-size:12px;overflow-x:auto;background:#f6f6f6;padding:8px}
`;

/** Renders the page (a complete HTML document, a few tens of KB). */
export function renderReportPage(page: ReportPage): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(page.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<header><h1>${esc(page.title)}</h1><p class="muted">Gloo management-plane failover orchestrator: run report. Self-contained page; times in UTC.</p></header>`,
    ...page.runs.map((r, i) => runSection(r, i)),
    page.drill ? drillSection(page.drill) : '',
    '</body></html>',
    '',
  ].join('\n');
}

/** The page title of a single run. */
export function runTitle(r: RunReport): string {
  return `${r.direction} into ${r.target.server}: ${r.outcome} (${r.incidentId})`;
}
