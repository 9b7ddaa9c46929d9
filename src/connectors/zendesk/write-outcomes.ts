/**
 * What the write paths of the Zendesk connector share: outcomes collected per operation key,
 * failures that concern one record versus the whole call, and batching helpers.
 */
import { SyncError } from '../../core/sync-error.js';
import type { WriteOperation, WriteOutcome } from '../connector.js';

export type Outcomes = Map<string, WriteOutcome>;

/** Zendesk bulk endpoints and show_many take at most 100 items (§3, §6.2). */
export const maxBatch = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/** Failures that concern the whole call (credentials, settings) reject it; others belong to their records. */
export function concernsWholeCall(error: SyncError): boolean {
  return error.code === 'auth' || error.code === 'config';
}

export function asSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof RangeError) return new SyncError('bug', error.message, { cause: error });
  throw error;
}

/** Records a failure for every operation without an outcome yet; rethrows whole-call failures. */
export function failRest(operations: readonly WriteOperation[], outcomes: Outcomes, error: unknown): void {
  const failure = asSyncError(error);
  if (concernsWholeCall(failure)) throw failure;
  for (const operation of operations) {
    if (!outcomes.has(operation.key))
      outcomes.set(operation.key, { key: operation.key, status: 'failed', error: failure });
  }
}
