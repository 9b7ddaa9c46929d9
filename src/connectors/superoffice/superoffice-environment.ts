/**
 * Calls to SuperOffice Online's environment host (`https://{env}.superoffice.com`), which serves
 * what is not the tenant's: tenant status, OAuth tokens, system-user tickets and signing keys
 * (superoffice-api.md §1.1, §1.2). No credentials travel in headers here, and bodies are never
 * quoted in messages (they carry secrets).
 */
import { request } from 'undici';
import { SyncError } from '../../core/sync-error.js';

export interface EnvironmentAnswer {
  readonly status: number;
  /** The body as JSON; undefined when empty or not JSON. */
  readonly json: unknown;
}

/**
 * One request. Rejects `transient` when SuperOffice did not answer, or answered 429 or 5xx; any
 * other status is the caller's to judge.
 */
export async function callEnvironment(
  environmentUrl: string,
  method: 'GET' | 'POST',
  path: string,
  what: string,
  content?: { readonly type: string; readonly body: string },
): Promise<EnvironmentAnswer> {
  const url = `${environmentUrl}${path}`;
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method,
      headers: { accept: 'application/json', ...(content === undefined ? {} : { 'content-type': content.type }) },
      ...(content === undefined ? {} : { body: content.body }),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new SyncError('transient', `SuperOffice did not answer ${what} at ${url}`, { cause: error });
  }
  if (status === 429 || status >= 500)
    throw new SyncError('transient', `SuperOffice answered ${status} to ${what}`, { status });
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, json };
}
