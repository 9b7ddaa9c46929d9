/**
 * What `tandem status` lists, as data: one attention item per thing a person may have to look at,
 * each with what happened, what to do and the command that does it. Why a value is held is a
 * reason code (the planner's HoldReason); the table below says for each code whether only a
 * person can end it and what they do. A new hold reason shows up in `status` by adding its row
 * (the type makes the table complete: a reason without a row does not compile).
 */
import type { HoldReason } from '../core/planner.js';
import type { FlowName } from '../spec/flows.js';

export type AttentionKind =
  | 'cycle' // the last cycle failed, was interrupted, or never finished
  | 'failed-write' // a write the target system refused (for good, or retried with back-off)
  | 'unreadable-record' // a record the last cycle could not read
  | 'read-failed' // a whole record type the last cycle could not read
  | 'conflict' // both sides changed a value; the policy chose, and the other value was overwritten
  | 'hold' // a value or record left as it is, for a reason in holdAttention
  | 'ambiguity' // a record Tandem could not link without guessing
  | 'deletion' // a linked record deleted in one system (deletes are not synced)
  | 'waiting'; // a write waiting for a record it points at; resolves by itself

export interface AttentionItem {
  readonly kind: AttentionKind;
  /** A code within the kind: the hold reason, the conflict rule, the error code, the cycle status. */
  readonly reason: string;
  /** True when only a person can end it; false when it is left as it is on purpose or resolves by itself. */
  readonly needsPerson: boolean;
  /** The record to look at or act on (`system:type:id`); null for a cycle. */
  readonly record: string | null;
  /** Its name in its system (a contact's name, a ticket's title), when known. */
  readonly label: string | null;
  /** The global entity concerned, for `tandem explain`; null when the record is not linked. */
  readonly entityId: string | null;
  readonly flow: FlowName | null;
  /** What happened, naming records rather than entity ids. */
  readonly message: string;
  /** What a person does about it. */
  readonly action: string;
  /** The command that does it, or shows what to do; null when there is none. */
  readonly command: string | null;
}

/** What the commands of a hold row may name. */
export interface HoldSubject {
  /** The record a person knows the entity by (see primaryMember). */
  readonly record: string;
  /** The member left as it is, `system:type:id` (`zendesk:<type>:` for a record not created). */
  readonly member: string;
  /** A record the fix involves, when one is known (the Zendesk organization holding a name). */
  readonly related: string | undefined;
}

export interface HoldAttention {
  /**
   * `person`: listed under "needs attention"; `on-purpose`: left as it is by design, listed apart;
   * `deletion`: the deletion item of the same record says it, so it is not listed twice.
   */
  readonly listedAs: 'person' | 'on-purpose' | 'deletion';
  readonly action: string;
  readonly command: (subject: HoldSubject) => string | null;
}

const explain = (subject: HoldSubject) => `tandem explain ${subject.record}`;

export const holdAttention: Readonly<Record<HoldReason, HoldAttention>> = {
  'read-only': {
    listedAs: 'on-purpose',
    action: 'Nothing: the system computes this value, so the value agreed in the other system stays there.',
    command: () => null,
  },
  'agent-only': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless this person should be the assignee: then make their Zendesk user an agent who can be assigned tickets; the next cycle assigns the ticket.',
    command: explain,
  },
  'service-user-only': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless this user should own the SuperOffice ticket: then give them a Service user (a Service licence) in SuperOffice; the next cycle writes the owner.',
    command: explain,
  },
  'no-counterpart': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless the value should travel: it points at a record that has no counterpart of the needed type.',
    command: explain,
  },
  'duplicate-name': {
    listedAs: 'person',
    action:
      'Zendesk organization names are unique (whatever the case): rename one of the SuperOffice contacts; or, if both are the same company, link this contact to the Zendesk organization that has the name.',
    command: (subject) =>
      subject.related === undefined ? explain(subject) : `tandem relink ${subject.record} ${subject.related}`,
  },
  'missing-name': {
    listedAs: 'person',
    action:
      'Give the SuperOffice contact a name: Zendesk requires one. The next cycle creates or renames the organization.',
    command: explain,
  },
  'held-reference': {
    listedAs: 'on-purpose',
    action:
      'Nothing here: it follows from the record it points at, which is listed with what to do; once that is fixed this one follows.',
    command: explain,
  },
  'not-in-group': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless this person should be the assignee: add their Zendesk user to the ticket’s group (or move the ticket to a group they are in); the next cycle assigns the ticket.',
    command: explain,
  },
  'closed-in-zendesk': {
    listedAs: 'on-purpose',
    action:
      'Nothing: Zendesk keeps a closed ticket as it is. If the change matters there, make a follow-up ticket in Zendesk.',
    command: explain,
  },
  'due-needs-task': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless the due date should be in Zendesk: Zendesk keeps due dates on tasks only, so make the ticket a task there; Tandem never changes its type.',
    command: explain,
  },
  'zendesk-default': {
    listedAs: 'on-purpose',
    action:
      'Nothing, unless the ticket should have another requester: give the SuperOffice ticket an owner; the next cycle sets that user as the requester.',
    command: explain,
  },
  'unknown-reference': {
    listedAs: 'person',
    action:
      'Give the SuperOffice record a value that points at a record Tandem syncs (a ticket owner who is an active internal user); the next cycle creates the Zendesk record.',
    command: explain,
  },
  'unlinked-reference': {
    listedAs: 'person',
    action:
      'Fix the record it points at (it is listed as ambiguous, with what to do); the next cycle creates the Zendesk record.',
    command: explain,
  },
  'deleted-reference': {
    listedAs: 'deletion',
    action:
      'Restore the deleted record in Zendesk to resume syncing this value; until then SuperOffice keeps its own (deletes are not synced).',
    command: explain,
  },
  'deleted-member': {
    listedAs: 'deletion',
    action:
      'Restore the record in Zendesk to resume syncing, or unlink it so that Tandem creates a new one on the next cycle.',
    command: (subject) => `tandem unlink ${subject.member}`,
  },
};

/** A reason this version has no row for (written by a newer Tandem): shown, never hidden. */
export const unknownHoldAttention: HoldAttention = {
  listedAs: 'person',
  action: 'Tandem left the value as it is; `tandem explain` shows the reason and what would change it.',
  command: explain,
};

export function holdAttentionOf(reason: string): HoldAttention {
  return Object.hasOwn(holdAttention, reason) ? holdAttention[reason as HoldReason] : unknownHoldAttention;
}

/** Order in the list: what a person must act on first, then what is there on purpose. */
export const kindOrder: readonly AttentionKind[] = [
  'cycle',
  'failed-write',
  'unreadable-record',
  'read-failed',
  'conflict',
  'hold',
  'ambiguity',
  'deletion',
  'waiting',
];
