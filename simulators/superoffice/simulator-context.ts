/** What every route file needs: the tenant's rows, how to render them, and HTTP preconditions. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from './api-error.js';
import type { ArchiveSettings } from './archive-query.js';
import type { Json, JsonObject, RenderContext } from './entity-json.js';
import { requestedTimeZone } from './request-time-zone.js';
import type { TenantData } from './tenant-data.js';
import { httpDate } from './tenant-time.js';

export interface SimulatorContext extends RenderContext {
  readonly data: TenantData;
  /** The tenant id in the URL, e.g. `Cust12345`. */
  readonly tenant: string;
  /** How the archive lists behave where the documentation is silent. */
  readonly archive: ArchiveSettings;
  /** Whether `SO-TimeZone` is honoured (documented); false models a tenant that ignores it. */
  readonly honourTimeZoneHeader: boolean;
  /** What a JSON Patch `test` whose value is an array does (undocumented; default 'refuse'). */
  readonly patchTestOnArrays: 'refuse' | 'compare';
}

/** The context as this request sees it: ticket dates in the zone SO-TimeZone asks for, offsets if asked (D-TZ). */
export function requestView(context: SimulatorContext, request: FastifyRequest): SimulatorContext {
  if (!context.honourTimeZoneHeader) return context;
  const asked = requestedTimeZone(request.headers['so-timezone']);
  if (asked.timeZone === undefined && !asked.includeOffset) return context;
  return {
    data: context.data,
    tenant: context.tenant,
    apiBase: context.apiBase,
    honourTimeZoneHeader: context.honourTimeZoneHeader,
    patchTestOnArrays: context.patchTestOnArrays,
    archive: context.archive,
    timeZone: asked.timeZone ?? context.timeZone,
    dateOffsets: asked.includeOffset,
  };
}

export function idParameter(request: FastifyRequest): number {
  const { id } = request.params as { id?: string };
  const value = Number(id);
  if (!Number.isInteger(value) || value <= 0) throw badRequest(`'${id ?? ''}' is not an id`);
  return value;
}

/** The request body as a JSON object; PUT without one is SuperOffice's documented 400 (§6). */
export function entityBody(request: FastifyRequest): JsonObject {
  const body = request.body as Json | undefined;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Bad request. Entity to save is not in request body.');
  }
  return body;
}

const secondOf = (ms: number) => Math.floor(ms / 1000);

/** `If-Unmodified-Since` on PUT/PATCH/DELETE: 412 when the entity changed after that instant (§1.3). */
export function checkUnmodifiedSince(request: FastifyRequest, lastModified: number): void {
  const header = request.headers['if-unmodified-since'];
  if (typeof header !== 'string') return;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return;
  if (secondOf(lastModified) > secondOf(since)) {
    throw new ApiError(412, 'SoPreconditionFailedException', `Entity was modified after ${header}`);
  }
}

/** `If-Modified-Since` on GET (Person, Contact): true when a 304 was sent. */
export function answeredNotModified(request: FastifyRequest, reply: FastifyReply, lastModified: number): boolean {
  const header = request.headers['if-modified-since'];
  if (typeof header !== 'string') return false;
  const since = Date.parse(header);
  if (Number.isNaN(since) || secondOf(lastModified) > secondOf(since)) return false;
  void reply.code(304).send();
  return true;
}

export function setLastModified(reply: FastifyReply, lastModified: number): void {
  void reply.header('last-modified', httpDate(lastModified));
}
