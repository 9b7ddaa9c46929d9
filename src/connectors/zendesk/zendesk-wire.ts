/**
 * Zendesk's wire shapes, validated at the edge. Only the members the connector reads are named;
 * zod drops the rest. Absent and null stay distinct: a member Zendesk did not send is `undefined`,
 * one it sent as null is `null`. Facts cite ../shared/docs/zendesk-api.md by section.
 */
import { z } from 'zod';

/** Integers below 2^53 (§1 "IDs"); users and organizations ~13 digits, tickets a small sequence. */
const id = z.number().int().nonnegative();
/** ISO-8601 UTC to the second with `Z` (§1 "Timestamps"). */
const timestamp = z.string();

// https://developer.zendesk.com/api-reference/ticketing/users/users/ — zendesk-api.md §2.1
export const wireUser = z.object({
  id,
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  organization_id: id.nullable().optional(),
  role: z.string().nullable().optional(),
  /** §2.1: 0 custom agent, 1 light agent, 2 chat-only agent, 3 contributor, 4 admin, 5 billing admin. */
  role_type: z.number().int().nullable().optional(),
  external_id: z.string().nullable().optional(),
  /** false once the user is deleted (§8, trap 5). */
  active: z.boolean().optional(),
  created_at: timestamp.nullable().optional(),
  updated_at: timestamp.nullable().optional(),
});
export type WireUser = z.infer<typeof wireUser>;

// https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/ — §2.3
export const wireOrganization = z.object({
  id,
  name: z.string().nullable().optional(),
  external_id: z.string().nullable().optional(),
  created_at: timestamp.nullable().optional(),
  updated_at: timestamp.nullable().optional(),
});
export type WireOrganization = z.infer<typeof wireOrganization>;

// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ — §2.4
export const wireTicket = z.object({
  id,
  subject: z.string().nullable().optional(),
  requester_id: id.nullable().optional(),
  assignee_id: id.nullable().optional(),
  due_at: timestamp.nullable().optional(),
  type: z.string().nullable().optional(),
  /** "deleted" for soft-deleted tickets in incremental exports (trap 5); "closed" takes no update (trap 10). */
  status: z.string().optional(),
  group_id: id.nullable().optional(),
  external_id: z.string().nullable().optional(),
  created_at: timestamp.nullable().optional(),
  updated_at: timestamp.nullable().optional(),
});
export type WireTicket = z.infer<typeof wireTicket>;

// §2.2 (GREC recording): identities of a user; `make_primary` answers with the whole list.
export const wireIdentity = z.object({
  id,
  user_id: id,
  type: z.string(),
  value: z.string(),
  primary: z.boolean(),
});
// List Identities: at most 100 per page (ZD-OAS), offset envelope with `next_page` (§2.2).
export const identityList = z.object({
  identities: z.array(wireIdentity),
  next_page: z.string().nullable().optional(),
});
export const identityAnswer = z.object({ identity: wireIdentity });

/** `{ <key>: T[] }`, typed by its key (zod cannot infer a computed key's name). */
function arrayUnder<K extends string, T extends z.ZodType>(key: K, item: T) {
  return { [key]: z.array(item) } as Record<K, z.ZodArray<T>>;
}

// §4.1, cursor-based export (OAS, ZREC): loop on after_cursor until end_of_stream; the last page
// still carries after_cursor.
export const cursorExportPage = <K extends 'users' | 'tickets', T extends z.ZodType>(key: K, item: T) =>
  z.object({
    ...arrayUnder(key, item),
    after_cursor: z.string().nullable(),
    end_of_stream: z.boolean(),
  });

// §4.1, time-based export (OAS, ZREC): next page starts at end_time; pages overlap.
export const timeExportPage = <T extends z.ZodType>(item: T) =>
  z.object({
    ...arrayUnder('organizations', item),
    end_time: z.number().int().nullable(),
    end_of_stream: z.boolean(),
  });

// §4.2 cursor pagination (PAG): `meta.has_more`, `meta.after_cursor`.
export const cursorListPage = <
  K extends 'users' | 'organizations' | 'tickets' | 'group_memberships',
  T extends z.ZodType,
>(
  key: K,
  item: T,
) =>
  z.object({
    ...arrayUnder(key, item),
    meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
  });

// §3 lookups: show_many and search answer `{ <plural>: [...] }` (offset envelope).
export const recordList = <K extends 'users' | 'organizations' | 'tickets', T extends z.ZodType>(key: K, item: T) =>
  z.object(arrayUnder(key, item));

export const userAnswer = z.object({ user: wireUser });

// https://developer.zendesk.com/api-reference/ticketing/groups/group_memberships/ — a group's
// memberships (`GET /groups/{id}/memberships`), cursor-paged like every list (§4.2).
export const wireGroupMembership = z.object({ user_id: id, group_id: id });

// §3.1 job status (JOBS, ZREC). `results` items differ per endpoint:
//   tickets/create_many       {index, id, account_id} | failed {index, error, details}
//   users|orgs/create_many    {id, status:"Created"} — no index, no order
//   users/create_or_update_many, in request order (Zendesk community post 4408861015066):
//                             {id, status:"Created"|"Updated", email} | {id:<index>, status:"Failed", error, details}
//   */update_many             {id, action:"update", status:"Updated", success:true}
export const jobResultItem = z.object({
  index: z.number().int().optional(),
  id: z.number().int().optional(),
  status: z.string().optional(),
  success: z.boolean().optional(),
  email: z.string().nullable().optional(),
  error: z.string().optional(),
  details: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});
export type JobResultItem = z.infer<typeof jobResultItem>;

export const wireJobStatus = z.object({
  id: z.string(),
  // queued | working | failed | completed (ZD-OAS); read as text, so a status we do not know fails nothing.
  status: z.string(),
  total: z.number().int().nullable().optional(),
  message: z.string().nullable().optional(),
  // §3.1: an array per item, or an object (`{success}` of a permanent deletion, ZD-OAS JobStatusObject).
  results: z
    .union([z.array(jobResultItem), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
});
export type WireJobStatus = z.infer<typeof wireJobStatus>;
export const jobStatusAnswer = z.object({ job_status: wireJobStatus });
export const jobStatusList = z.object({ job_statuses: z.array(wireJobStatus) });

/** The per-item results of a job; none when the job answered an object or nothing. */
export function jobResults(job: WireJobStatus): readonly JobResultItem[] {
  return Array.isArray(job.results) ? job.results : [];
}

// §3.1 List Job Statuses: every integration's recent jobs on the account, whatever their results.
// Only what settling a lost create needs is read; each entry's other members are ignored.
export const recentJobList = z.object({
  job_statuses: z.array(
    z.object({ id: z.string(), status: z.string(), total: z.number().int().nullable().optional() }),
  ),
});

// OEXP: the refresh-token grant answers a new access token and a new refresh token.
export const tokenGrant = z.object({
  access_token: z.string(),
  refresh_token: z.string().optional(),
  expires_in: z.number().nullable().optional(),
});

/** Any JSON at all, for answers whose body we do not read (204, 200 on identity changes). */
export const ignoredBody = z.unknown();
