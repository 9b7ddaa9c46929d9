import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import {
  type RecordRef,
  type RecordType,
  recordTypesBySystem,
  type SystemName,
  systemNames,
} from '../../core/model.js';
import { type Explanation, explainRecord } from '../../engine/explain.js';
import { CliFailure } from '../failure.js';
import { openStateStore } from '../tenant.js';

/** Reads `system:type:id`, e.g. `superoffice:person:42`, naming what is wrong when it is not one. */
export function parseRecordRef(text: string): RecordRef {
  const [system = '', type = '', id = '', ...rest] = text.split(':');
  if (!(systemNames as readonly string[]).includes(system)) {
    throw new CliFailure(`'${text}' should start with superoffice: or zendesk:, e.g. superoffice:person:42`);
  }
  const types: readonly string[] = recordTypesBySystem[system as SystemName];
  if (!types.includes(type)) {
    throw new CliFailure(
      `${system} has no record type '${type}'; use one of ${types.join(', ')} (e.g. ${system}:${types[0]}:42)`,
    );
  }
  if (!/^\d+$/.test(id) || rest.length > 0)
    throw new CliFailure(`'${text}' should end in a numeric id, e.g. ${system}:${type}:42`);
  return { system: system as SystemName, type: type as RecordType, id };
}

function show(value: unknown): string {
  return value === null ? '(none)' : JSON.stringify(value);
}

function explanationLines(explanation: Explanation): string[] {
  const lines = [`${explanation.record}`];
  if (explanation.entity === undefined) {
    lines.push(`  not linked: ${explanation.ambiguity ?? 'Tandem has read it but not matched it yet; run a sync.'}`);
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
      `    ${attribute.attribute} = ${show(attribute.value)}  from ${attribute.member} (${attribute.rule}, cycle ${attribute.cycleId})`,
    );
  }
  for (const wait of entity.waits) lines.push(`  waiting: ${wait}`);
  for (const hold of entity.holds) lines.push(`  left as it is in ${hold.member}: ${hold.message}`);
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
    const detail = entry.detail === null ? '' : `  ${JSON.stringify(entry.detail)}`;
    lines.push(`    ${parts.join('  ')}${detail}`);
  }
  return lines;
}

export function explainCommand(): CommandUnknownOpts {
  return new Command('explain')
    .description(
      'show how Tandem sees one record: its global entity, members, agreed values and where each came from, and its history',
    )
    .argument('<record>', 'the record as system:type:id, e.g. superoffice:person:42 or zendesk:user:381220')
    .option('--json', 'print the explanation as JSON')
    .action(async (recordText, options) => {
      const ref = parseRecordRef(recordText);
      const store = await openStateStore(loadConfig());
      try {
        const explanation = await explainRecord(store, ref);
        if (explanation === undefined) {
          throw new CliFailure(`Tandem has not seen ${recordText}; run \`tandem sync\` first, or check the id`);
        }
        process.stdout.write(
          options.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${explanationLines(explanation).join('\n')}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
