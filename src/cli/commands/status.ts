import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { collectStatus, type StatusReport } from '../../engine/status.js';
import { openStateStore } from '../tenant.js';

function statusLines(report: StatusReport): string[] {
  const lines = ['flow      SuperOffice → Zendesk      records  linked  waiting  failed  conflicted  ambiguous'];
  for (const flow of report.flows) {
    lines.push(
      `${flow.flow.padEnd(9)} ${`${flow.superofficeType} → ${flow.zendeskType}`.padEnd(26)} ${String(flow.records).padStart(7)} ${String(flow.linked).padStart(7)} ${String(flow.waiting).padStart(8)} ${String(flow.failed).padStart(7)} ${String(flow.conflicted).padStart(11)} ${String(flow.ambiguous).padStart(10)}`,
    );
  }
  lines.push('', 'last cycles:');
  if (report.cycles.length === 0) lines.push('  none yet: run `tandem sync`');
  for (const cycle of report.cycles) lines.push(`  ${cycle.startedAt}  ${cycle.status.padEnd(11)} ${cycle.id}`);
  lines.push('', 'cursors:');
  for (const cursor of report.cursors) lines.push(`  ${cursor.system} ${cursor.type}: updated ${cursor.updatedAt}`);
  // Values held on purpose (an assignee who is no agent, a computed field) are listed apart: nothing is broken.
  const held = report.attention.filter((item) => item.kind === 'held');
  const attention = report.attention.filter((item) => item.kind !== 'held');
  lines.push('', attention.length === 0 ? 'nothing needs attention' : `needs attention (${attention.length}):`);
  for (const item of attention)
    lines.push(`  - [${item.kind}] ${item.subject}: ${item.message}`, `    what to do: ${item.advice}`);
  if (held.length > 0) {
    lines.push('', `left as they are on purpose (${held.length}; see \`tandem status --json\` for all):`);
    for (const item of held.slice(0, 5)) lines.push(`  - ${item.subject}: ${item.message}`);
  }
  return lines;
}

export function statusCommand(): CommandUnknownOpts {
  return new Command('status')
    .description(
      'per flow the linked, waiting, failed, conflicted and ambiguous counts, the last cycles, the cursors, and what needs attention',
    )
    .option('--json', 'print the status as JSON')
    .action(async (options) => {
      const store = await openStateStore(loadConfig());
      try {
        const report = await collectStatus(store);
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${statusLines(report).join('\n')}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
