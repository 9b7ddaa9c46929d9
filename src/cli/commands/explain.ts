import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { type Explanation, explainEntityById, explainRecord } from '../../engine/explain.js';
import { rewriteMentions } from '../../engine/record-names.js';
import type { JsonValue } from '../../store/state-store.js';
import { CliFailure } from '../failure.js';
import { parseRecordTarget } from '../record-argument.js';
import { openStateStore } from '../tenant.js';

/** A history detail as `key: value` pairs, entity ids shown as the records they stand for. */
function detailText(detail: JsonValue, names: Readonly<Record<string, string>>): string {
  if (typeof detail === 'string') return names[detail] ?? JSON.stringify(rewriteMentions(detail, (id) => names[id]));
  if (detail === null) return '(none)';
  if (Array.isArray(detail)) return `[${detail.map((item) => detailText(item, names)).join(', ')}]`;
  if (typeof detail === 'object') {
    return `{${Object.entries(detail)
      .map(([key, value]) => `${key}: ${detailText(value, names)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(detail);
}

function explanationLines(explanation: Explanation): string[] {
  const lines = [`${explanation.record}`];
  if (explanation.entity === undefined) {
    lines.push(`  not linked: ${explanation.ambiguity ?? 'Tandem has read it but not matched it yet; run a sync.'}`);
    if (explanation.ambiguity !== null) {
      lines.push(`  to link it by hand: tandem relink ${explanation.record} <the record it is>`);
    }
    return lines;
  }
  const { entity } = explanation;
  lines.push(
    `  global entity ${entity.id} (${entity.kind}${entity.kind === 'person' && entity.wanted ? ', on a synced ticket' : ''})`,
    '  members:',
  );
  for (const member of entity.members) {
    lines.push(
      `    ${member.ref}${member.deleted ? ' (deleted)' : ''}  ${JSON.stringify(member.values)}  modified ${member.modifiedAt ?? 'unknown'}`,
    );
  }
  lines.push('  agreed values:');
  for (const attribute of entity.attributes) {
    lines.push(
      `    ${attribute.attribute} = ${attribute.shown}  from ${attribute.member} (${attribute.rule}, cycle ${attribute.cycleId})`,
    );
  }
  for (const wait of entity.waits) lines.push(`  waiting: ${wait}`);
  for (const hold of entity.holds) {
    lines.push(`  left as it is in ${hold.member} (${hold.reason}): ${hold.message}`);
    lines.push(`    what to do: ${hold.action}${hold.command === null ? '' : ` (${hold.command})`}`);
  }
  for (const row of entity.outbox) {
    lines.push(
      `  outbox: ${row.state} ${JSON.stringify(row.values)}, ${row.attempts} attempts${row.lastError === null ? '' : `, last error: ${row.lastError.message}`}`,
    );
  }
  lines.push('  history (oldest first):');
  for (const entry of entity.history) {
    const parts = [entry.at, `cycle ${entry.cycleId}`, entry.event, entry.attribute, entry.member, entry.rule].filter(
      (part) => part !== null,
    );
    const detail = entry.detail === null ? '' : `  ${detailText(entry.detail, entity.names)}`;
    lines.push(`    ${parts.join('  ')}${detail}`);
  }
  return lines;
}

export function explainCommand(): CommandUnknownOpts {
  return new Command('explain')
    .description(
      'show how Tandem sees one record: its global entity, members, agreed values and where each came from, and its history',
    )
    .argument(
      '<record>',
      'the record as system:type:id, e.g. superoffice:person:42 or zendesk:user:381220, or an entity id as `status --json` shows it',
    )
    .option('--json', 'print the explanation as JSON')
    .action(async (recordText, options) => {
      const target = parseRecordTarget(recordText);
      const store = await openStateStore(loadConfig());
      try {
        const explanation =
          'ref' in target ? await explainRecord(store, target.ref) : await explainEntityById(store, target.entityId);
        if (explanation === undefined) {
          throw new CliFailure(
            'ref' in target
              ? `Tandem has not seen ${recordText}; run \`tandem sync\` first, or check the id`
              : `no entity ${recordText} in the state; \`tandem status --json\` lists the entity ids it knows`,
          );
        }
        process.stdout.write(
          options.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${explanationLines(explanation).join('\n')}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
