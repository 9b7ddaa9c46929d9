import { Command, type CommandUnknownOpts, InvalidArgumentError } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import type { AttentionItem } from '../../engine/attention.js';
import { collectStatus, type FlowStatus, type StatusReport } from '../../engine/status.js';
import { activeSyncOf, openStateStore } from '../tenant.js';

/** Items a terminal shows per page; `--json` gives every item unless `--limit` says otherwise. */
const textPage = 25;

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return parsed;
}

function notLinkedLine(flow: FlowStatus): string | undefined {
  const parts = [
    [flow.notLinked.held, 'held until a person acts'],
    [flow.notLinked.failed, 'create refused'],
    [flow.notLinked.ambiguous, 'ambiguous'],
    [flow.notLinked.waiting, 'waiting for a record they point at'],
    [flow.notLinked.writing, 'being created'],
    [flow.notLinked.unplanned, 'read, planned on the next cycle'],
    [flow.notLinked.outOfScope, 'out of scope (on no synced ticket)'],
  ] as const;
  const shown = parts.filter(([number]) => number > 0).map(([number, text]) => `${number} ${text}`);
  return shown.length === 0 ? undefined : `          not linked (${flow.records - flow.linked}): ${shown.join(', ')}`;
}

function itemLines(item: AttentionItem): string[] {
  const subject =
    item.record === null ? '' : ` ${item.record}${item.label === null ? '' : ` ${JSON.stringify(item.label)}`}:`;
  const lines = [`  - [${item.kind}${item.reason === '' ? '' : ` ${item.reason}`}]${subject} ${item.message}`];
  lines.push(`    what to do: ${item.action}`);
  if (item.command !== null) lines.push(`    command: ${item.command}`);
  return lines;
}

export function statusLines(report: StatusReport): string[] {
  const lines = ['flow      SuperOffice → Zendesk        records   linked  conflicts  needs a person'];
  for (const flow of report.flows) {
    lines.push(
      `${flow.flow.padEnd(9)} ${`${flow.superofficeType} → ${flow.zendeskType}`.padEnd(26)} ${String(flow.records).padStart(8)} ${String(flow.linked).padStart(8)} ${String(flow.conflicts).padStart(10)} ${String(flow.needsPerson).padStart(15)}`,
    );
    const notLinked = notLinkedLine(flow);
    if (notLinked !== undefined) lines.push(notLinked);
  }
  lines.push('', 'last cycles:');
  if (report.activeSync !== undefined && report.activeSync !== null) {
    const { pid, host, since } = report.activeSync;
    lines.push(`  a tandem is syncing this state now (pid ${pid} on ${host}, since ${since})`);
  }
  if (report.cycles.length === 0) lines.push('  none yet: run `tandem sync`');
  for (const cycle of report.cycles) lines.push(`  ${cycle.startedAt}  ${cycle.status.padEnd(11)} ${cycle.id}`);
  lines.push('', 'cursors:');
  for (const cursor of report.cursors) lines.push(`  ${cursor.system} ${cursor.type}: updated ${cursor.updatedAt}`);

  const { attention } = report;
  const onPurpose = attention.total - attention.needsPerson;
  lines.push('');
  if (attention.needsPerson === 0) lines.push('nothing needs attention');
  const reasons = (needsPerson: boolean) =>
    attention.byReason
      .filter((group) => group.needsPerson === needsPerson)
      .map((group) => `${group.count} ${group.kind}${group.reason === '' ? '' : ` ${group.reason}`}`)
      .join(', ');
  const needing = attention.items.filter((item) => item.needsPerson);
  const others = attention.items.filter((item) => !item.needsPerson);
  if (attention.needsPerson > 0) {
    lines.push(`needs attention (${attention.needsPerson}: ${reasons(true)}):`);
    for (const item of needing) lines.push(...itemLines(item));
  }
  if (onPurpose > 0) {
    lines.push('', `left as they are on purpose, or resolving by themselves (${onPurpose}: ${reasons(false)}):`);
    for (const item of others) lines.push(...itemLines(item));
  }
  const shownTo = attention.offset + attention.items.length;
  if (attention.total > 0 && (attention.offset > 0 || shownTo < attention.total)) {
    lines.push(
      '',
      `items ${attention.items.length === 0 ? 'none' : `${attention.offset + 1}-${shownTo}`} of ${attention.total} shown` +
        (shownTo < attention.total ? `; next: tandem status --offset ${shownTo}` : '') +
        '; all: tandem status --json',
    );
  }
  return lines;
}

export function statusCommand(): CommandUnknownOpts {
  return new Command('status')
    .description(
      'per flow where each record stands, the last cycles, the cursors, and everything that needs a person, with what to do',
    )
    .option('--json', 'print the status as JSON (every attention item unless --limit is given)')
    .option('--limit <items>', `attention items to show (text: ${textPage} by default)`, count)
    .option('--offset <items>', 'attention items to skip, to page through them', count)
    .action(async (options) => {
      const config = loadConfig();
      const store = await openStateStore(config);
      try {
        const limit = options.limit ?? (options.json === true ? undefined : textPage);
        // Whether the last cycle still runs or was abandoned, only the state's lock can tell.
        const [last] = await store.listCycles(1);
        const activeSync = last?.status === 'running' ? await activeSyncOf(config) : undefined;
        const report = await collectStatus(store, {
          ...(limit === undefined ? {} : { limit }),
          ...(options.offset === undefined ? {} : { offset: options.offset }),
          ...(activeSync === undefined ? {} : { activeSync }),
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${statusLines(report).join('\n')}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
