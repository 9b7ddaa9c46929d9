/**
 * Turns the engine's cycle and plan reports into lines a person reads. `--json` prints the
 * reports themselves; this is only the human form.
 */
import { holdAttentionOf } from '../engine/attention.js';
import type { CycleReport, PlanReport } from '../engine/cycle-report.js';

const shown = 10; // items listed per section; the counts are always complete

/** `zendesk:user:` (a record not created yet) reads as "new zendesk user". */
function target(name: string): string {
  return name.endsWith(':') ? `new ${name.slice(0, -1).replace(':', ' ')}` : name;
}

function show(value: string | null | undefined): string {
  return value === null || value === undefined ? '(none)' : JSON.stringify(value);
}

function listed<T>(title: string, total: number, items: readonly T[], line: (item: T) => string): string[] {
  if (total === 0) return [];
  const lines = [`${title} (${total}):`, ...items.slice(0, shown).map((item) => `  - ${line(item)}`)];
  if (total > Math.min(items.length, shown))
    lines.push(`  … and ${total - Math.min(items.length, shown)} more (see --json or tandem status)`);
  return lines;
}

function readLines(report: PlanReport): string[] {
  const reads = report.reads.filter((read) => read.records > 0);
  if (reads.length === 0) return ['read: nothing new'];
  return [
    `read${report.sweep ? ' (full sweep)' : ''}: ${reads.map((read) => `${read.system} ${read.type} ${read.changed}/${read.records} changed`).join(', ')}`,
  ];
}

/**
 * Holds a person must end (a name taken) apart from those left as they are on purpose (a
 * computed field), as `tandem status` lists them (src/engine/attention.ts).
 */
function holdLines(report: PlanReport): string[] {
  const line = (hold: PlanReport['holds'][number]) => `${target(hold.member)}: ${hold.message}`;
  const byPerson = report.holds.filter((hold) => holdAttentionOf(hold.reason).listedAs !== 'on-purpose');
  const onPurpose = report.holds.filter((hold) => holdAttentionOf(hold.reason).listedAs === 'on-purpose');
  const lines = [
    ...listed('held until a person acts (tandem status says what to do)', byPerson.length, byPerson, line),
    ...listed('left as they are on purpose', onPurpose.length, onPurpose, line),
  ];
  if (report.holds.length < report.counts.holds) {
    lines.push(
      `  (${report.counts.holds} new holds in all; the report keeps ${report.holds.length}: see tandem status)`,
    );
  }
  return lines;
}

/** What a dry run would do, or what a cycle planned. */
export function planLines(report: PlanReport, tense: 'would' | 'did'): string[] {
  const verb = (would: string, did: string) => (tense === 'would' ? would : did);
  const lines = readLines(report);
  lines.push(
    ...listed(
      verb('would link', 'linked'),
      report.counts.links,
      report.links,
      (link) =>
        `${link.record} → entity ${link.entityId} (${link.rule}${link.key === undefined ? '' : `: ${link.key}`})`,
    ),
    ...listed(
      verb('would create in Zendesk', 'planned creates in Zendesk'),
      report.counts.creates,
      report.creates,
      (create) => `${target(create.target)} from ${create.origin} ${JSON.stringify(create.values)}`,
    ),
    ...listed(
      verb('would update', 'planned updates'),
      report.counts.updates,
      report.updates,
      (update) => `${update.target} ${JSON.stringify(update.values)}`,
    ),
    ...listed(
      'conflicts (decided by policy)',
      report.counts.conflicts,
      report.conflicts,
      (conflict) =>
        `${conflict.attribute} of entity ${conflict.entityId}: ${conflict.candidates
          .map((candidate) => `${candidate.member}=${show(candidate.value)}`)
          .join(' vs ')} → ${show(conflict.winner.value)} from ${conflict.winner.member} (${conflict.rule})`,
    ),
    ...listed('waiting', report.counts.waits, report.waits, (wait) => `${target(wait.target)}: ${wait.message}`),
    ...holdLines(report),
    ...listed(
      'need attention (ambiguous)',
      report.counts.ambiguities,
      report.ambiguities,
      (item) => `${item.record}: ${item.message}`,
    ),
  );
  lines.push(
    ...listed(
      'reads that failed (their records are read again next cycle)',
      report.readFailures.length,
      report.readFailures,
      (failure) => `${failure.system} ${failure.type}: ${failure.error.message} — ${failure.advice}`,
    ),
    ...listed(
      'records that could not be read',
      report.counts.rejectedRecords,
      report.rejectedRecords,
      (rejected) =>
        `${rejected.system}:${rejected.type}:${rejected.id ?? '(unknown id)'}: ${rejected.error.message} — ` +
        (rejected.error.code === 'malformed'
          ? `correct the record in ${rejected.system === 'superoffice' ? 'SuperOffice' : 'Zendesk'} (or report the message if it looks right there); it is read again when it changes and on the next full sweep`
          : `the service kept failing for this record only; it is read again with back-off (from 30 s to an hour) and on the next full sweep, and the other records sync meanwhile`),
    ),
  );
  if (report.counts.links + report.counts.creates + report.counts.updates === 0) {
    lines.push(tense === 'would' ? 'nothing would be written' : 'nothing to write');
  }
  return lines;
}

export function cycleLines(report: CycleReport): string[] {
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  const { writes } = report;
  const lines = [
    `cycle ${report.cycleId} ${report.status} in ${seconds.toFixed(1)} s: ` +
      `${writes.created} created, ${writes.updated} updated, ${writes.unchanged} unchanged, ${writes.failed} failed ` +
      `(${writes.calls} write calls)`,
    ...planLines(report, 'did'),
    ...listed(
      'failed writes',
      report.failures.length,
      report.failures,
      (failure) =>
        `${target(failure.target)}: ${failure.error.message}${failure.retryAt === null ? '' : ` (retried after ${failure.retryAt})`}${
          failure.advice === undefined ? '' : ` — ${failure.advice}`
        }`,
    ),
  ];
  if (writes.conflicts > 0)
    lines.push(
      `${writes.conflicts} updates not sent: their target was edited after Tandem read it, so it was planned again from the edit`,
    );
  if (writes.deferred > 0)
    lines.push(
      `${writes.deferred} updates held back: their target's read failed, so they wait for a cycle that reads it`,
    );
  if (report.status === 'interrupted')
    lines.push('stopped early: what was done is saved; the next cycle goes on from there');
  return lines;
}
