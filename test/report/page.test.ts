/**
 * The run report page, opened in a REAL headless Chromium (Debian's `chromium`, driven by
 * playwright-core with the system executable): a drill with an approval gate runs on the sandbox,
 * its page is written exactly as `npm run drill -- --html FILE` writes it, and the rendered DOM is
 * checked against the JSON report. `UPDATE_SCREENSHOT=1` (`npm run screenshot`) saves the
 * screenshot the README shows to bench/report-screenshot.png; otherwise it goes to a temporary
 * directory, so a test run never leaves the working tree dirty.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '#functions/report/report.ts';
import { type DrillReport, drillPage, runDrill } from '#local/drill.ts';
import { chromiumPath } from '#test/support/ensure-chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'report-page-'));
const screenshot = process.env.UPDATE_SCREENSHOT
  ? join(import.meta.dirname, '..', '..', 'bench', 'report-screenshot.png')
  : join(dir, 'report-screenshot.png');

let drill: DrillReport;
let report: RunReport;
let browser: Browser;
let page: Page;
const requests: string[] = [];

beforeAll(async () => {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error(
      'chromium is not installed: run `node test/support/ensure-chromium.ts` as root, or `apt-get install chromium`, or set CHROMIUM_PATH',
    );
  drill = await runDrill({
    // write-to-one with a redis-key lock: the page then has a lock to show before and after
    mode: 'write-to-one',
    lock: 'redis-key',
    agents: 3,
    scenario: 'outage',
    failback: false,
    dryRun: false,
    approve: 'auto',
    print: false,
  });
  report = drill.runs[0]!.report!;
  const file = join(dir, 'report.html');
  writeFileSync(file, drillPage(drill));
  // --no-sandbox: Chromium's own sandbox cannot start as root (CI containers run as root).
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
}, 60_000);

afterAll(async () => {
  await page?.screenshot({ path: screenshot, fullPage: true });
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the run report page in headless Chromium', () => {
  it('comes from a drill that failed over with an approval', () => {
    expect(drill.converged).toBe(true);
    expect(report.outcome).toBe('FailedOver');
  });

  it('evaluated readiness of the failover on its timer before the outage, and found it ready', () => {
    expect(drill.readiness[0]).toMatchObject({ ready: true, failed: [] });
  });

  it('loads nothing but itself: no network fetch, and its policy forbids any', async () => {
    expect(requests).toEqual([page.url()]);
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    expect(csp).toContain("default-src 'none'");
    expect(await page.locator('script, link, img, iframe').count()).toBe(0);
  });

  it('shows every Task state the run entered, in the table and on the timeline', async () => {
    const tasks = drill.runs[0]!.taskStates;
    expect(tasks).toEqual(expect.arrayContaining(['RunPreflight', 'ApproveSwitch', 'WriteReport']));
    const inTable = await page.locator('#run-0 code.state').allTextContents();
    const onTimeline = (await page.locator('#run-0 svg.gantt text.label').allTextContents()).join(' → ');
    for (const state of tasks) {
      expect(inTable).toContain(state);
      expect(onTimeline).toContain(state);
    }
  });

  it('shows each step duration and each RTO phase total exactly as the JSON report has them', async () => {
    const ms = (s: string) => Number(s.replace(/[^0-9]/g, ''));
    for (const step of report.steps) {
      const cell = page.locator(`#run-0 table.steps td[data-step="${step.step}"]`);
      expect(ms((await cell.textContent()) ?? ''), step.step).toBe(step.durationMs);
      const bar = page.locator(`#run-0 svg.gantt g.bar[data-step="${step.step}"] text.dur`);
      expect(ms((await bar.textContent()) ?? ''), `${step.step} bar`).toBe(step.durationMs);
    }
    const phases = new Map<string, number>();
    for (const s of report.steps) phases.set(s.phase, (phases.get(s.phase) ?? 0) + s.durationMs);
    const shown = await page
      .locator('#run-0 table.phases td[data-phase]')
      .evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-phase'), td.textContent]));
    expect(new Map(shown.map(([p, t]) => [p, ms(t ?? '')]))).toEqual(phases);
  });

  it('draws the Gantt bars in proportion to the durations', async () => {
    const bars = await page.locator('#run-0 svg.gantt g.bar').evaluateAll((gs) =>
      gs.map((g) => ({
        ms: Number(g.getAttribute('data-duration-ms')),
        px: (
          g.querySelector('rect') as unknown as { getBoundingClientRect(): { width: number } }
        ).getBoundingClientRect().width,
      })),
    );
    const longest = bars.reduce((a, b) => (b.ms > a.ms ? b : a));
    for (const b of bars.filter((x) => x.ms > longest.ms / 20))
      expect(b.px / longest.px).toBeCloseTo(b.ms / longest.ms, 1);
  });

  it('names the approver and when, and shows lock, Redis, DNS and agents before and after', async () => {
    const approval = await page.locator('#run-0 table.approvals tbody tr').textContent();
    expect(approval).toContain('approved');
    expect(approval).toContain('oncall.sre');
    expect(approval).toContain(report.approvals[0]!.at!);
    const row = (what: string) =>
      page.locator(`#run-0 table.state td[data-what="${what}"] ~ td`).allInnerTexts();
    expect(await row('global lock')).toEqual([
      `${report.before!.lockHolder} (epoch ${report.before!.lockEpoch})`,
      `${report.after.lockHolder} (epoch ${report.after.lockEpoch})`,
    ]);
    expect((await row('Redis primary'))[1]).toBe('us-west-2');
    expect((await row('DNS answer'))[1]).toContain(report.target.server);
    expect((await row('agents'))[1]).toContain(`3 of 3 on ${report.target.server}`);
    expect(await page.locator('#run-0 table.signals tbody tr').count()).toBe(
      report.verification!.signals.length,
    );
    expect(await page.locator('#run-0 ol.next li').count()).toBe(report.nextActions.length);
  });
});
