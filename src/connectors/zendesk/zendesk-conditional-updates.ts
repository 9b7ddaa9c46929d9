/**
 * Updates that must not overwrite an edit made in Zendesk after Tandem read the record
 * (UpdateOperation.expected).
 *
 * Tickets have a guard: `safe_update: true` with `updated_stamp` = the `updated_at` Tandem read
 * makes Zendesk refuse the update with 409 when the ticket changed since (zendesk-api.md §6.3;
 * Zendesk OpenAPI `TicketUpdateInput.safe_update`/`updated_stamp`, "Protecting against ticket update
 * collisions"). The guard is documented for Update Ticket (`PUT /api/v2/tickets/{id}`), not for
 * `tickets/update_many`, so conditional ticket updates go one by one.
 *
 * Users and organizations have no guard: the records are read back right before the bulk update
 * (one `show_many` per 100) and a record that no longer holds what Tandem read is not written. An
 * edit made between that read and the job remains possible; the window is one bulk call long.
 */
import type { SourceRecord, ZendeskRecordType } from '../../core/model.js';
import { isSyncError, SyncError } from '../../core/sync-error.js';
import type { UpdateOperation, WriteOutcome } from '../connector.js';
import { stillHolds } from '../record-condition.js';
import { changesSomething, ticketUpdateItem } from './zendesk-records.js';

export interface TicketUpdateCalls {
  /** `PUT /tickets/{id}.json` with `{ticket}`; answers the ticket as Zendesk holds it now. */
  put(id: string, ticket: Readonly<Record<string, unknown>>): Promise<SourceRecord>;
  /** `GET /tickets/{id}.json`; undefined when the ticket is gone. */
  read(id: string): Promise<SourceRecord | undefined>;
}

function conflictOutcome(key: string, record: SourceRecord | undefined, id: string): WriteOutcome {
  return record === undefined
    ? { key, status: 'failed', error: new SyncError('not_found', `Zendesk has no ticket ${id} any more`) }
    : { key, status: 'conflict', record };
}

/**
 * One conditional ticket update. The stamp is the `updated_at` Tandem read; without one (never
 * read with a time) the ticket is read first and its own stamp guards the write.
 */
export async function updateTicketSafely(calls: TicketUpdateCalls, operation: UpdateOperation): Promise<WriteOutcome> {
  const { key, id } = operation;
  const { id: _id, ...fields } = ticketUpdateItem(operation);
  if (!changesSomething(fields)) return { key, status: 'unchanged' };
  const expected = operation.expected;
  let stamp = expected?.modifiedAt ?? null;
  if (expected !== undefined && stamp === null) {
    const current = await calls.read(id);
    if (current === undefined || !stillHolds(current, expected.values)) return conflictOutcome(key, current, id);
    stamp = current.modifiedAt;
  }
  try {
    const record = await calls.put(
      id,
      stamp === null ? fields : { ...fields, safe_update: true, updated_stamp: stamp },
    );
    return { key, status: 'updated', record };
  } catch (error) {
    if (!(isSyncError(error) && error.status === 409)) throw error;
    const current = await calls.read(id);
    // A PUT sent again after its answer was lost meets its own write (the stamp moved): done.
    if (current !== undefined && stillHolds(current, sentValues(operation))) {
      return { key, status: 'updated', record: current };
    }
    // The ticket changed after Tandem read it: nothing was written; report it as it is now.
    return conflictOutcome(key, current, id);
  }
}

/** The values an update item carries (a null requester is never sent: a ticket keeps one). */
function sentValues(operation: UpdateOperation): Readonly<Record<string, string | null>> {
  const { requester_id: requester, ...rest } = operation.values;
  return requester === null || requester === undefined ? rest : { ...rest, requester_id: requester };
}

export interface ConditionalUpdateCalls {
  /** `show_many` of the type (users, organizations): the records as they are now. */
  readByIds(ids: readonly string[]): Promise<readonly SourceRecord[]>;
  readonly ticket: TicketUpdateCalls;
  /** Records a failure for each operation without an outcome; rethrows whole-call failures. */
  fail(operations: readonly UpdateOperation[], error: unknown): void;
}

/**
 * Settles the conditional updates of a write (those with `expected`): tickets one by one under
 * `safe_update`; users and organizations by reading them back just before the bulk update and
 * answering `conflict` for those that changed. Returns the updates left for the bulk path.
 */
export async function settleConditionalUpdates(
  type: ZendeskRecordType,
  operations: readonly UpdateOperation[],
  outcomes: Map<string, WriteOutcome>,
  calls: ConditionalUpdateCalls,
): Promise<readonly UpdateOperation[]> {
  const conditional = operations.filter((operation) => operation.expected !== undefined);
  if (conditional.length === 0) return operations;
  if (type === 'ticket') {
    await eachWithin(conditional, ticketUpdatesInFlight, async (operation) => {
      try {
        outcomes.set(operation.key, await updateTicketSafely(calls.ticket, operation));
      } catch (error) {
        calls.fail([operation], error);
      }
    });
    return operations.filter((operation) => operation.expected === undefined);
  }
  try {
    const now = new Map(
      (await calls.readByIds(conditional.map((operation) => operation.id))).map((record) => [record.ref.id, record]),
    );
    for (const operation of conditional) {
      const record = now.get(operation.id);
      if (record === undefined) {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'failed',
          error: new SyncError('not_found', `Zendesk has no ${type} ${operation.id} any more`),
        });
      } else if (!stillHolds(record, operation.expected?.values ?? {})) {
        outcomes.set(operation.key, { key: operation.key, status: 'conflict', record });
      }
    }
  } catch (error) {
    calls.fail(conditional, error);
  }
  return operations.filter((operation) => !outcomes.has(operation.key));
}

/** Single ticket updates in flight at once (each is one request of the account budget). */
const ticketUpdatesInFlight = 8;

async function eachWithin<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(workers);
}
