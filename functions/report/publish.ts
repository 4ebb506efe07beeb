/**
 * Where the run report goes when the run ends: the page to the reports store (S3 in AWS), then the
 * JSON report to the notification topic and a short Slack message, both carrying the page's link.
 * Best effort, each on its own: a failed destination is logged and never fails the run's last step.
 */
import type { KnownBlock } from '@slack/web-api';
import type { ReportPageStore } from '#lib/aws/report-pages.ts';
import { pageKey } from '#lib/aws/report-pages.ts';
import { renderReportPage, runTitle } from './html.ts';
import type { RunReport } from './report.ts';

/** The destinations of a report (each optional). */
export interface ReportDestinations {
  pages?: ReportPageStore;
  /** The run-notification topic (SNS). */
  topic?: { publish(subject: string, message: string): Promise<void> };
  /** A Slack channel (the approvals channel), through the bot token. */
  slack?: { post(text: string, blocks: KnownBlock[]): Promise<void> };
  log: { error(message: string, e: unknown): void };
}

/** The Slack message of a finished run: outcome, summary, next actions and the page link. */
export function reportBlocks(r: RunReport): { text: string; blocks: KnownBlock[] } {
  const ok = r.outcome === 'FailedOver' || r.outcome === 'AlreadyActive' || r.outcome === 'DryRunComplete';
  const text = `${ok ? ':white_check_mark:' : ':warning:'} ${r.direction} ${r.outcome}: ${r.summary}`;
  const mrkdwn = (s: string): KnownBlock => ({
    type: 'section',
    text: { type: 'mrkdwn', text: s.slice(0, 3000) },
  });
  const blocks: KnownBlock[] = [
    mrkdwn(`*${text}*\nincident \`${r.incidentId}\` · trigger ${r.trigger} · requested by ${r.requestedBy}`),
  ];
  if (r.nextActions.length) blocks.push(mrkdwn(`*Next*\n${r.nextActions.map((a) => `• ${a}`).join('\n')}`));
  blocks.push(
    mrkdwn(
      r.pageUrl
        ? `<${r.pageUrl}|Open the run report> (timeline, before → after, evidence, approvals; the link expires)`
        : 'The run report page could not be stored; the JSON report is on the notification topic.',
    ),
  );
  return { text, blocks };
}

/** Stores the page, then notifies; returns the report with `pageUrl` when the page was stored. */
export async function publishReport(report: RunReport, to: ReportDestinations): Promise<RunReport> {
  let out = report;
  if (to.pages)
    try {
      const html = renderReportPage({ title: runTitle(report), runs: [report] });
      const { url } = await to.pages.put(pageKey(report.executionId, report.reportedAt), html);
      out = { pageUrl: url, ...report };
    } catch (e) {
      to.log.error('could not store the run report page', e);
    }
  const subject = `[gloo-failover] ${out.outcome}: ${out.summary}`.slice(0, 99);
  const { text, blocks } = reportBlocks(out);
  await Promise.all([
    to.topic
      ?.publish(subject, JSON.stringify(out, null, 2))
      .catch((e) => to.log.error('could not publish the run report', e)),
    to.slack?.post(text, blocks).catch((e) => to.log.error('could not post the run report to Slack', e)),
  ]);
  return out;
}
