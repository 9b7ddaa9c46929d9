/** A minimal HTTP client for the simulator's own tests: one call, status, headers and body back. */
import type { ZendeskSimulator } from '../index.js';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export const bearer = { authorization: 'Bearer sim-token' } as const;

export async function call(
  simulator: ZendeskSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = bearer,
): Promise<Answer> {
  const response = await fetch(simulator.url + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Reads a member path of a JSON answer without type assertions in every test. */
export function member(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

/**
 * Submits a bulk request, checks it was only queued (trap 2), runs the queue at once and returns
 * the finished job status as a poll shows it.
 */
export async function bulk(simulator: ZendeskSimulator, method: string, path: string, body: unknown) {
  const answer = await call(simulator, method, path, body);
  const jobId = member(answer.json, 'job_status', 'id');
  if (typeof jobId !== 'string') throw new Error(`no job in ${answer.status} ${answer.text}`);
  if (member(answer.json, 'job_status', 'status') !== 'queued') throw new Error('a bulk answer must be queued');
  simulator.jobs.drain();
  const polled = await call(simulator, 'GET', `/api/v2/job_statuses/${jobId}`);
  return member(polled.json, 'job_status');
}
