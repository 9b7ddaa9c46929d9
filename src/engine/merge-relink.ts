/**
 * Merges reported by a change feed (a SuperOffice person or contact merged into another): the
 * link of the merged-away record moves to the survivor (store.followMerge), and the entity's
 * history says so. A merge the store will not follow on its own (the survivor already belongs
 * to another entity with its own records) is returned for the cycle report: a person settles it.
 */
import type { RecordMerge } from '../connectors/connector.js';
import { type RecordRef, refKey, type SystemName } from '../core/model.js';
import { flowByName, flows } from '../spec/flows.js';
import type { MergeReferrer } from '../store/merge-follow.js';
import type { HistoryEntry, StateStore } from '../store/state-store.js';
import type { AmbiguityReport } from './cycle-report.js';

/** The properties of `system`'s record types that point at records of `type` (spec references). */
function referrersOf(system: SystemName, type: RecordMerge['type']): MergeReferrer[] {
  return flows.flatMap((flow) =>
    flow.properties.flatMap((property) => {
      if (property.references === undefined) return [];
      const target = flowByName(property.references);
      const targetType = system === 'superoffice' ? target.superofficeType : target.zendeskType;
      if (targetType !== type) return [];
      return [
        system === 'superoffice'
          ? { type: flow.superofficeType, path: property.superoffice }
          : { type: flow.zendeskType, path: property.zendesk },
      ];
    }),
  );
}

export async function followMerges(
  store: StateStore,
  system: SystemName,
  merges: readonly RecordMerge[],
  cycleId: string,
  at: string,
): Promise<AmbiguityReport[]> {
  const history: HistoryEntry[] = [];
  const held: AmbiguityReport[] = [];
  for (const merge of merges) {
    const from: RecordRef = { system, type: merge.type, id: merge.from };
    const into: RecordRef = { system, type: merge.type, id: merge.into };
    const outcome = await store.followMerge(from, into, referrersOf(system, merge.type));
    const detail = { mergedFrom: refKey(from), outcome: outcome.kind };
    if (outcome.kind === 'moved' || outcome.kind === 'same') {
      history.push({
        entityId: outcome.entityId,
        cycleId,
        at,
        event: 'linked',
        attribute: null,
        member: refKey(into),
        rule: 'source-merge',
        detail,
      });
    } else if (outcome.kind === 'held') {
      const message = `${system} merged ${merge.type} ${merge.from} into ${merge.into}, which already belongs to entity ${outcome.otherEntityId} with records of its own; nothing was relinked. Merge the two counterparts in the other system (or relink by hand), then run a sweep.`;
      history.push({
        entityId: outcome.entityId,
        cycleId,
        at,
        event: 'held',
        attribute: null,
        member: refKey(from),
        rule: 'source-merge',
        detail: { ...detail, message },
      });
      held.push({ record: refKey(into), message });
    }
  }
  if (history.length > 0) await store.appendHistory(history);
  return held;
}
