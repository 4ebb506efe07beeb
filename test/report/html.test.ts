/** The report page as text: escaping, the phase totals, and a run with nothing recorded. */
import { describe, expect, it } from 'vitest';
import { formatMs, phaseTotals, renderReportPage } from '#functions/report/html.ts';
import { sampleReport } from './sample.ts';

describe('the report page renderer', () => {
  it('escapes every value that came from outside, so a hostile detail cannot add markup', () => {
    // prepare
    const r = sampleReport({ nextActions: ['<script>alert(1)</script>'], incidentId: '"><img src=x>' });
    // act
    const html = renderReportPage({ title: 'r', runs: [r] });
    // assess
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x&gt;');
  });

  it('sums the step durations per RTO phase, in phase order', () => {
    const totals = phaseTotals(sampleReport().steps);
    expect(totals.map((t) => t.phase)).toEqual([
      'preflight',
      'verification',
      'approval',
      'promotion',
      'lock',
      'DNS',
      'reconnection',
      'report',
    ]);
    expect(totals.find((t) => t.phase === 'approval')?.ms).toBe(74_600);
    expect(formatMs(74_600)).toBe('74,600 ms');
  });

  it('renders a run that recorded no step (InvalidInput) without a chart', () => {
    const r = sampleReport({
      outcome: 'InvalidInput',
      steps: [],
      verification: null,
      approvals: [],
      before: null,
    });
    const html = renderReportPage({ title: 'r', runs: [r] });
    expect(html).toContain('No step recorded a timing.');
    expect(html).toContain('No verification ran.');
  });
});
