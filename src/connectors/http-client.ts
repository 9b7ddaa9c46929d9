/**
 * The HTTP plumbing both connectors share: undici for transport, p-queue for a request budget
 * kept ahead of the service's limits, p-retry for backoff, and the error table for deciding what
 * a failure means. Everything vendor-specific (auth headers, error bodies, rate-limit headers)
 * comes in through HttpClientOptions.
 */
import PQueue from 'p-queue';
import pRetry, { AbortError } from 'p-retry';
import { Agent, type Dispatcher, request } from 'undici';
import type { z } from 'zod';
import { SyncError } from '../core/sync-error.js';
import { classifyStatus, classifyTransportError, maySendAgain } from './http-error-table.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseInfo {
  readonly method: HttpMethod;
  readonly path: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface ErrorDescription {
  readonly message: string;
  readonly fields?: Readonly<Record<string, readonly string[]>>;
}

export interface HttpClientOptions {
  /** Base URL without a trailing slash; request paths are appended to it. */
  readonly baseUrl: string;
  /** The name users know the service by, used in error messages ("Zendesk"). */
  readonly serviceName: string;
  /** Authorization headers for one request; called per attempt so refreshed tokens are used. */
  readonly authorize: () => Promise<Readonly<Record<string, string>>>;
  /** Called once on a 401; resolve true when fresh credentials were obtained and the call may be retried. */
  readonly refreshCredentials?: () => Promise<boolean>;
  /** Turns an error answer's body into a message and field details (vendor error envelopes differ). */
  readonly describeError: (status: number, body: string) => ErrorDescription;
  /** Milliseconds to pause before the next request, read from rate-limit headers; 0 for none. */
  readonly pauseAfter?: (info: ResponseInfo) => number;
  /**
   * The pause that `pauseAfter` and Retry-After set, shared by the clients of one account (a rate
   * limit is the account's, whichever client hit it). Default: this client's own.
   */
  readonly accountPause?: RequestPause;
  /** Milliseconds to pause this client only (an endpoint's own budget), read from headers. */
  readonly pauseOwnAfter?: (info: ResponseInfo) => number;
  /** Requests allowed per interval, kept below the service's announced limit. */
  readonly budget?: { readonly requests: number; readonly intervalMs: number };
  readonly retries?: number;
  /** Real milliseconds per second of the service's time (Retry-After); default 1000, lower against a fast-clock simulator. */
  readonly secondMs?: number;
  readonly minRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  readonly timeoutMs?: number;
  readonly dispatcher?: Dispatcher;
  /** Observes every answer (metrics, call counting in benchmarks and tests). */
  readonly onResponse?: (info: ResponseInfo) => void;
}

export interface RequestOptions<T> {
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Validates the answer; a body that does not fit rejects with code `malformed`. */
  readonly schema: z.ZodType<T>;
  /**
   * Whether sending the request twice has the same effect as once. Defaults to true for GET, PUT,
   * PATCH and DELETE, false for POST. Non-repeatable requests are retried only after a 429 or 503.
   */
  readonly repeatable?: boolean;
  /** Extra statuses that are an answer, not an error (e.g. 304). */
  readonly acceptStatuses?: readonly number[];
}

export interface HttpResponse<T> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: T;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * A pause shared by every client of one account: a Retry-After seen by any of them holds them all,
 * and a later, longer one also holds requests already waiting (they look again when they wake).
 */
export class RequestPause {
  #until = 0;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /** Holds every request for at least `ms` from now; never shortens a pause already set. */
  extend(ms: number): void {
    this.#until = Math.max(this.#until, this.#now() + ms);
  }

  /** Resolves once no pause is in force. */
  async wait(): Promise<void> {
    for (let left = this.#until - this.#now(); left > 0; left = this.#until - this.#now()) await this.#sleep(left);
  }
}

export function headerValue(headers: ResponseInfo['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function retryAfterSeconds(headers: ResponseInfo['headers'], now = Date.now()): number | undefined {
  const raw = headerValue(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #queue: PQueue;
  readonly #dispatcher: Dispatcher;
  readonly #accountPause: RequestPause;
  readonly #ownPause = new RequestPause();

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#accountPause = options.accountPause ?? new RequestPause();
    this.#dispatcher =
      options.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000, connectTimeout: 10_000 });
    this.#queue =
      options.budget === undefined
        ? new PQueue({ concurrency: 8 })
        : new PQueue({ concurrency: 8, intervalCap: options.budget.requests, interval: options.budget.intervalMs });
  }

  async request<T>(method: HttpMethod, path: string, options: RequestOptions<T>): Promise<HttpResponse<T>> {
    const repeatable = options.repeatable ?? method !== 'POST';
    let refreshed = false;
    const attempt = async (): Promise<HttpResponse<T>> => {
      try {
        return await this.#queue.add(() => this.#send(method, path, options));
      } catch (error) {
        if (!(error instanceof SyncError)) throw new AbortError(asError(error));
        if (error.code === 'auth' && error.status === 401 && !refreshed && this.#options.refreshCredentials) {
          refreshed = true;
          if (await this.#options.refreshCredentials()) throw error; // retried with the new token
        }
        const action = error.status === undefined ? 'retry' : classifyStatus(error.status).action;
        if (action === 'fail' || !maySendAgain(error.status, repeatable)) throw new AbortError(error);
        if (error.retryAfterSeconds !== undefined)
          this.#pauseFor(error.retryAfterSeconds * (this.#options.secondMs ?? 1000));
        throw error;
      }
    };
    try {
      return await pRetry(attempt, {
        retries: this.#options.retries ?? 6,
        minTimeout: this.#options.minRetryDelayMs ?? 250,
        maxTimeout: this.#options.maxRetryDelayMs ?? 30_000,
        factor: 2,
        randomize: true,
      });
    } catch (error) {
      throw error instanceof SyncError ? error : new SyncError('bug', asError(error).message, { cause: error });
    }
  }

  /** Stops sending for a while; every queued request waits (Retry-After applies to the whole account). */
  #pauseFor(ms: number): void {
    this.#accountPause.extend(ms);
  }

  async #send<T>(method: HttpMethod, path: string, options: RequestOptions<T>): Promise<HttpResponse<T>> {
    await this.#accountPause.wait();
    await this.#ownPause.wait();
    const url = new URL(this.#options.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.#options.authorize()),
      ...options.headers,
    };
    let bodyText: string | undefined;
    if (options.body !== undefined) {
      bodyText = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    let status: number;
    let responseHeaders: ResponseInfo['headers'];
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers,
        body: bodyText,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#options.timeoutMs ?? 60_000,
        bodyTimeout: this.#options.timeoutMs ?? 60_000,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      const { code } = classifyTransportError(error);
      throw new SyncError(
        code,
        `${this.#options.serviceName} did not answer ${method} ${url.origin}${url.pathname}: ${asError(error).message}`,
        { cause: error },
      );
    }
    const info: ResponseInfo = { method, path, status, headers: responseHeaders };
    this.#options.onResponse?.(info);
    const pause = this.#options.pauseAfter?.(info) ?? 0;
    if (pause > 0) this.#pauseFor(pause);
    const ownPause = this.#options.pauseOwnAfter?.(info) ?? 0;
    if (ownPause > 0) this.#ownPause.extend(ownPause);

    const accepted = status < 300 || (options.acceptStatuses ?? []).includes(status);
    if (!accepted) {
      const { code } = classifyStatus(status);
      const description = this.#options.describeError(status, text);
      throw new SyncError(
        code,
        `${this.#options.serviceName} answered ${status} to ${method} ${url.pathname}: ${description.message}`,
        { status, fields: description.fields, retryAfterSeconds: retryAfterSeconds(responseHeaders) },
      );
    }
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new SyncError(
          'malformed',
          `${this.#options.serviceName} answered ${method} ${url.pathname} with a body that is not JSON`,
          {
            status,
            cause: error,
          },
        );
      }
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      throw new SyncError(
        'malformed',
        `${this.#options.serviceName} answered ${method} ${url.pathname} with an unexpected shape${where}`,
        {
          status,
        },
      );
    }
    return { status, headers: responseHeaders, body: parsed.data };
  }

  async close(): Promise<void> {
    await this.#queue.onIdle();
    if (this.#options.dispatcher === undefined) await this.#dispatcher.close();
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
