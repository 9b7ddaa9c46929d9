/**
 * Zendesk's record types as the API names them in paths and bodies, and each type's wire record
 * validated and turned into our record in one step. Shared by the connector's reads and its creates.
 */
import { organizationRecord, ticketRecord, userRecord } from './zendesk-records.js';
import { wireOrganization, wireTicket, wireUser } from './zendesk-wire.js';

export const plural = { user: 'users', organization: 'organizations', ticket: 'tickets' } as const;

export const recordSchemas = {
  user: wireUser.transform(userRecord),
  organization: wireOrganization.transform(organizationRecord),
  ticket: wireTicket.transform(ticketRecord),
} as const;
