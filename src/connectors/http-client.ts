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
  /** From sending the request to the end of the answer's body, in ms. */
  readonly durationMs?: number;
}

/**
 * The client is about to wait before sending: why and for how long, so the operator sees a line
 * instead of silence. `message` is a sentence for a person and never holds a credential.
 */
export interface WaitInfo {
  readonly reason: 'retry-after' | 'rate-limit' | 'budget' | 'backoff';
  readonly ms: number;
  readonly message: string;
}

export interface ErrorDescription {
  readonly message: string;
  readonly fields?: Readonly<Record<string, readonly string[]>>;
}

export interface HttpClientOptions {
  /**
   * Base URL without a trailing slash; request paths are appended to it. A function is asked before
   * every attempt, for services whose host can move (SuperOffice tenants, see `relocate`).
   */
  readonly baseUrl: string | (() => string | Promise<string>);
  /** The name users know the service by, used in error messages ("Zendesk"). */
  readonly serviceName: string;
  /** Authorization headers for one request; called per attempt so refreshed tokens are used. */
  readonly authorize: () => Promise<Readonly<Record<string, string>>>;
  /**
   * Called once per request on a 401, with the authorization headers the refused attempt carried;
   * resolve true when fresh credentials were obtained and the call may be retried.
   */
  readonly refreshCredentials?: (refused: Readonly<Record<string, string>>) => Promise<boolean>;
  /**
   * Called once per request on a 421 Misdirected Request (the service moved to another host);
   * resolve true when a new base URL was found and the call may be retried there.
   */
  readonly relocate?: () => Promise<boolean>;
  /** Headers sent with every request (before the request's own). */
  readonly headers?: Readonly<Record<string, string>>;
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
  /** Observes every answer (metrics, call counting in benchmarks and tests, debug logging). */
  readonly onResponse?: (info: ResponseInfo) => void;
  /** Told whenever requests are held back (a Retry-After, a rate limit, the budget, a retry's back-off). */
  readonly onWait?: (wait: WaitInfo) => void;
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

  /** When the pause in force ends (epoch ms; in the past when none is). */
  get until(): number {
    return this.#until;
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
    const budget = options.budget;
    if (budget !== undefined) {
      this.#queue.on('rateLimit', () =>
        this.#options.onWait?.({
          reason: 'budget',
          ms: budget.intervalMs,
          message: `holding ${options.serviceName} requests for up to ${seconds(budget.intervalMs)}: Tandem's budget of ${budget.requests} requests per ${seconds(budget.intervalMs)} is used up`,
        }),
      );
    }
  }

  async request<T>(method: HttpMethod, path: string, options: RequestOptions<T>): Promise<HttpResponse<T>> {
    const repeatable = options.repeatable ?? method !== 'POST';
    let refreshed = false;
    const retries = this.#options.retries ?? 6;
    const minDelay = this.#options.minRetryDelayMs ?? 250;
    const maxDelay = this.#options.maxRetryDelayMs ?? 30_000;
    let relocated = false;
    let sentAuthorization: Readonly<Record<string, string>> = {};
    const attempt = async (): Promise<HttpResponse<T>> => {
      try {
        return await this.#queue.add(() =>
          this.#send(method, path, options, (used) => {
            sentAuthorization = used;
          }),
        );
      } catch (error) {
        if (!(error instanceof SyncError)) throw new AbortError(asError(error));
        if (error.code === 'auth' && error.status === 401 && !refreshed && this.#options.refreshCredentials) {
          refreshed = true;
          // A renewal that fails for a passing reason is tried again with the next attempt.
          const renewed = await this.#options.refreshCredentials(sentAuthorization).catch((failure: unknown) => {
            if (!(failure instanceof SyncError) || !failure.retryable) throw new AbortError(asError(failure));
            refreshed = false;
            throw failure;
          });
          if (renewed) throw error; // retried with the new credentials
        }
        if (error.status === 421 && !relocated && this.#options.relocate) {
          relocated = true;
          if (await this.#options.relocate()) throw error; // retried at the new host
        }
        const action = error.status === undefined ? 'retry' : classifyStatus(error.status).action;
        if (action === 'fail' || !maySendAgain(error.status, repeatable)) throw new AbortError(error);
        if (error.retryAfterSeconds !== undefined)
          this.#pauseFor(error.retryAfterSeconds * (this.#options.secondMs ?? 1000));
        throw error;
      }
    };
    try {
      // The back-off is waited here rather than inside p-retry, so the wait can be announced.
      return await pRetry(attempt, {
        retries,
        minTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          const backoff = Math.min(maxDelay, Math.round((Math.random() + 1) * minDelay * 2 ** (attemptNumber - 1)));
          const paused = this.#accountPause.until - Date.now();
          const asked = paused > backoff ? `${this.#options.serviceName} asked for a pause (Retry-After); ` : '';
          this.#options.onWait?.({
            reason: paused > backoff ? 'retry-after' : 'backoff',
            ms: Math.max(backoff, paused),
            message: `${error.message}; ${asked}trying ${method} ${path} again in ${seconds(Math.max(backoff, paused))} (attempt ${attemptNumber + 1} of ${retries + 1})`,
          });
          await sleep(backoff);
        },
      });
    } catch (error) {
      throw error instanceof SyncError ? error : new SyncError('bug', asError(error).message, { cause: error });
    }
  }

  /** Stops sending for a while; every queued request waits (Retry-After applies to the whole account). */
  #pauseFor(ms: number, why?: { reason: WaitInfo['reason']; message: string }): void {
    const until = Date.now() + ms;
    // One notice per pause, not one per request that meets it.
    if (why !== undefined && until > this.#accountPause.until + 1000) {
      this.#options.onWait?.({
        reason: why.reason,
        ms,
        message: `${why.message}: pausing ${this.#options.serviceName} requests for ${seconds(ms)}`,
      });
    }
    this.#accountPause.extend(ms);
  }

  async #send<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions<T>,
    onAuthorization: (headers: Readonly<Record<string, string>>) => void,
  ): Promise<HttpResponse<T>> {
    await this.#accountPause.wait();
    await this.#ownPause.wait();
    const base = this.#options.baseUrl;
    const url = new URL((typeof base === 'string' ? base : await base()) + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const authorization = await this.#options.authorize();
    onAuthorization(authorization);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.#options.headers,
      ...authorization,
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
    const started = performance.now();
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
    const durationMs = Math.round(performance.now() - started);
    const info: ResponseInfo = { method, path, status, headers: responseHeaders, durationMs };
    this.#options.onResponse?.(info);
    const pause = this.#options.pauseAfter?.(info) ?? 0;
    if (pause > 0) {
      this.#pauseFor(pause, {
        reason: 'rate-limit',
        message: `${this.#options.serviceName}'s rate limit is nearly used up (after ${method} ${path})`,
      });
    }
    const ownPause = this.#options.pauseOwnAfter?.(info) ?? 0;
    if (ownPause > 0) {
      // One notice per pause, as for the account's.
      if (Date.now() + ownPause > this.#ownPause.until + 1000) {
        this.#options.onWait?.({
          reason: 'rate-limit',
          ms: ownPause,
          message: `the rate limit of ${this.#options.serviceName}'s ${path.split('/').slice(0, 2).join('/')} endpoints is nearly used up (after ${method} ${path}): pausing them for ${seconds(ownPause)}`,
        });
      }
      this.#ownPause.extend(ownPause);
    }

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

/** `850 ms`, `12 s`, `2 min 5 s`: a wait as a person reads it. */
function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  return total < 120 ? `${total} s` : `${Math.floor(total / 60)} min${total % 60 === 0 ? '' : ` ${total % 60} s`}`;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
