/**
 * What the simulator accepts in request bodies. Zendesk ignores keys it does not know (§1
 * "Unknown/forbidden keys"), so these schemas strip unknown keys instead of refusing them; the
 * names of ignored keys are reported in `x-zendesk-api-warn` by the routes.
 * Field lists: zendesk-api.md §2.1 (user), §2.3 (organization), §2.4 (ticket).
 */
import { z } from 'zod';

/** Zendesk takes ids as JSON numbers or as numeric strings. */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
const optionalId = id.nullable().optional();
/** external_id is text, but clients send numbers too. */
const externalId = z
  .union([z.string(), z.number().transform(String)])
  .nullable()
  .optional();
const text = z.string().nullable().optional();

export const userInput = z.object({
  id: id.optional(),
  name: z.string().optional(),
  email: text,
  phone: text,
  organization_id: optionalId,
  role: z.enum(['end-user', 'agent', 'admin']).optional(),
  /** §2.1: 0 custom agent, 1 light agent, 2 chat-only agent, 3 contributor, 4 admin, 5 billing admin. */
  role_type: z.number().int().min(0).max(5).nullable().optional(),
  external_id: externalId,
  verified: z.boolean().optional(),
  skip_verify_email: z.boolean().optional(),
  identities: z.array(z.object({ type: z.string(), value: z.string() })).optional(),
  tags: z.array(z.string()).optional(),
  notes: text,
  details: text,
  time_zone: z.string().optional(),
  locale: z.string().optional(),
});
export type UserInput = z.infer<typeof userInput>;
export const userKeys = Object.keys(userInput.shape);

export const organizationInput = z.object({
  id: id.optional(),
  name: z.string().optional(),
  external_id: externalId,
  details: text,
  notes: text,
  domain_names: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  shared_tickets: z.boolean().optional(),
  shared_comments: z.boolean().optional(),
});
export type OrganizationInput = z.infer<typeof organizationInput>;
export const organizationKeys = Object.keys(organizationInput.shape);

export const ticketTypes = ['problem', 'incident', 'question', 'task'] as const;
export const ticketStatuses = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;

export const ticketInput = z.object({
  id: id.optional(),
  subject: text,
  raw_subject: text,
  description: z.string().optional(),
  comment: z
    .object({ body: z.string().optional(), html_body: z.string().optional(), public: z.boolean().optional() })
    .optional(),
  requester_id: optionalId,
  submitter_id: optionalId,
  assignee_id: optionalId,
  organization_id: optionalId,
  group_id: optionalId,
  external_id: externalId,
  type: z.enum(ticketTypes).nullable().optional(),
  priority: z.enum(['urgent', 'high', 'normal', 'low']).nullable().optional(),
  status: z.enum(ticketStatuses).optional(),
  due_at: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  safe_update: z.boolean().optional(),
  updated_stamp: z.string().optional(),
});
export type TicketInput = z.infer<typeof ticketInput>;
export const ticketKeys = Object.keys(ticketInput.shape);

export const identityInput = z.object({
  type: z.string(),
  value: z.string(),
  verified: z.boolean().optional(),
  primary: z.boolean().optional(),
  skip_verify_email: z.boolean().optional(),
});
export type IdentityInput = z.infer<typeof identityInput>;

/** Keys of a body object that a schema does not know, prefixed the way Zendesk's warning does. */
export function unknownKeys(body: unknown, known: readonly string[], prefix: string): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  return Object.keys(body)
    .filter((key) => !known.includes(key))
    .map((key) => `${prefix}.${key}`);
}
