/**
 * What an update sends: a JSON Patch (superoffice-api.md §3.2) that touches only the properties
 * the sync owns, guarded by `test` operations on the values it replaces.
 *
 * Multi-valued properties (`Emails.Value`, `PrivatePhones.Value`): the sync owns the FIRST entry
 * only. A new value replaces the first entry's Value in place (its Description and every other
 * entry are kept); on a person without entries it is appended. `null` removes the first entry
 * alone: SuperOffice has no empty first slot, so the second entry becomes the first, and the
 * record returned after the write says so. The `test` on the old first value makes SuperOffice
 * answer 409 when someone changed that entry since we read it: the UpdatedDate guard
 * (If-Unmodified-Since) cannot see such an edit, because an e-mail-only edit may not move
 * UpdatedDate (§9 item 2).
 *
 * References are written as the carrier with its id, `"Contact": {"ContactId": 5}` (§2.0); null
 * writes id 0, SuperOffice's "none". `TimeToReply` is computed by SuperOffice (§2.4) and is never
 * sent. Every builder returns [] when nothing differs.
 */
import type { PropertyValues } from '../../core/model.js';
import { SyncError } from '../../core/sync-error.js';
import { referenceValue, timeToReplyValue } from './superoffice-records.js';
import type { WireContact, WireEntityElement, WirePerson, WireTicket } from './superoffice-wire.js';

export type PatchOperation =
  | { readonly op: 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace' | 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

function unknownProperty(entity: string, name: string): SyncError {
  return new SyncError('bug', `SuperOffice ${entity} has no property ${name} the sync may write`);
}

function referenceId(entity: string, name: string, value: string | null): number {
  if (value === null) return 0;
  if (!/^\d+$/.test(value)) throw new SyncError('bug', `${entity} ${name} must be a decimal id, got '${value}'`);
  return Number(value);
}

/** Sets the first entry of an EntityElement array, keeping the rest. */
export function firstEntryPatch(
  arrayName: string,
  current: readonly WireEntityElement[] | null | undefined,
  wanted: string | null,
): PatchOperation[] {
  const entries = current ?? [];
  const first = entries[0];
  if (first === undefined) {
    // No `test` here: comparing a whole array (`test /Emails == []`) is not documented to work, and a
    // server that refuses it would fail this write for ever. The PATCH carries If-Unmodified-Since
    // from the person's documented Last-Modified; and `add …/-` only appends, so an entry someone added
    // meanwhile is never overwritten: it stays first, and the record read back says so.
    return wanted === null ? [] : [{ op: 'add', path: `/${arrayName}/-`, value: { Value: wanted, Description: '' } }];
  }
  const firstValue = first.Value ?? null;
  if (firstValue === wanted) return [];
  const guard: PatchOperation = { op: 'test', path: `/${arrayName}/0/Value`, value: firstValue };
  return wanted === null
    ? [guard, { op: 'remove', path: `/${arrayName}/0` }]
    : [guard, { op: 'replace', path: `/${arrayName}/0/Value`, value: wanted }];
}

export function personPatch(current: WirePerson, values: PropertyValues): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const [name, wanted] of Object.entries(values)) {
    switch (name) {
      case 'Emails.Value':
        operations.push(...firstEntryPatch('Emails', current.Emails, wanted));
        break;
      case 'PrivatePhones.Value':
        operations.push(...firstEntryPatch('PrivatePhones', current.PrivatePhones, wanted));
        break;
      case 'Contact.ContactId': {
        const id = referenceId('person', name, wanted);
        if (referenceValue(current.Contact?.ContactId) !== referenceValue(id)) {
          operations.push({ op: 'replace', path: '/Contact', value: { ContactId: id } });
        }
        break;
      }
      default:
        throw unknownProperty('person', name);
    }
  }
  return operations;
}

export function contactPatch(current: WireContact, values: PropertyValues): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const [name, wanted] of Object.entries(values)) {
    if (name !== 'Name') throw unknownProperty('contact', name);
    if (wanted === null)
      throw new SyncError('validation', 'A SuperOffice contact must have a name; null cannot be written');
    if ((current.Name ?? null) !== wanted) operations.push({ op: 'replace', path: '/Name', value: wanted });
  }
  return operations;
}

export function ticketPatch(current: WireTicket, values: PropertyValues): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const [name, wanted] of Object.entries(values)) {
    switch (name) {
      case 'Title':
        if (wanted === null)
          throw new SyncError('validation', 'A SuperOffice ticket must have a title; null cannot be written');
        if ((current.Title ?? null) !== wanted) operations.push({ op: 'replace', path: '/Title', value: wanted });
        break;
      case 'OwnedBy.AssociateId': {
        const id = referenceId('ticket', name, wanted);
        if (referenceValue(current.OwnedBy?.AssociateId) !== referenceValue(id)) {
          operations.push({ op: 'replace', path: '/OwnedBy', value: { AssociateId: id } });
        }
        break;
      }
      case 'Person.PersonId': {
        const id = referenceId('ticket', name, wanted);
        if (referenceValue(current.Person?.PersonId) !== referenceValue(id)) {
          operations.push({ op: 'replace', path: '/Person', value: { PersonId: id } });
        }
        break;
      }
      case 'TimeToReply':
        // Computed by SuperOffice: an equal value is no change, a different one cannot be written.
        if (timeToReplyValue(current.TimeToReply) !== wanted) {
          throw new SyncError('bug', 'Ticket TimeToReply is computed by SuperOffice and cannot be written');
        }
        break;
      default:
        throw unknownProperty('ticket', name);
    }
  }
  return operations;
}
