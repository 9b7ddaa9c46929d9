/**
 * How commands read a record named on the command line: `system:type:id` (as `explain` and
 * `status` print it), or the id of a global entity (as `status --json` and `explain` show it).
 */
import { type RecordRef, type RecordType, recordTypesBySystem, type SystemName, systemNames } from '../core/model.js';
import type { RecordTarget } from '../engine/record-actions.js';
import { CliFailure } from './failure.js';

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

/** A record as `system:type:id`, or anything without a colon as an entity id. */
export function parseRecordTarget(text: string): RecordTarget {
  if (text.includes(':')) return { ref: parseRecordRef(text) };
  if (!/^[A-Za-z0-9-]+$/.test(text)) {
    throw new CliFailure(
      `'${text}' is neither a record (system:type:id, e.g. superoffice:contact:14) nor an entity id (as \`tandem status --json\` prints it)`,
    );
  }
  return { entityId: text };
}
