/**
 * The few HTTP calls Reelcast makes to the Instagram Graph API (graph.instagram.com) and its
 * upload host (rupload.facebook.com), with their errors parsed into one shape. No retries and no
 * error mapping here: the channel decides what a failure means for the post.
 */

import { sendBuffer } from '../send-buffer';

/** Graph's JSON error (`{ error: { message, type, code, error_subcode, fbtrace_id } }`) or rupload's `debug_info`. */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly step: string,
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly subcode: number | undefined,
    readonly detail: string,
    /** Meta's `is_transient` / rupload's `retriable`, or a 5xx. */
    readonly transient: boolean,
    /** Throttled: when Meta says access comes back (X-Business-Use-Case-Usage), if it does. */
    readonly regainAccessAt: Date | undefined,
  ) {
    super(`${step}: ${detail}`);
  }

  /** Code 190: the access token expired, was revoked or is invalid. */
  get tokenRejected(): boolean {
    return this.code === 190;
  }
}

/** No HTTP answer at all: reset, refused, timed out. Whether the platform acted is unknown. */
export class GraphNoAnswerError extends Error {
  override readonly name = 'GraphNoAnswerError';
  constructor(
    readonly step: string,
    readonly detail: string,
  ) {
    super(`${step}: ${detail}`);
  }
}

export interface GraphClientOptions {
  baseUrl: string;
  version: string;
  requestTimeoutMs: number;
}

export type Params = Record<string, string | number | boolean | undefined>;

export class GraphClient {
  readonly #options: GraphClientOptions;

  constructor(options: GraphClientOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  get version(): string {
    return this.#options.version;
  }

  get<T>(step: string, path: string, params: Params, token: string, signal?: AbortSignal): Promise<T> {
    return this.#send<T>(step, 'GET', path, params, token, signal);
  }

  post<T>(step: string, path: string, params: Params, token: string, signal?: AbortSignal): Promise<T> {
    return this.#send<T>(step, 'POST', path, params, token, signal);
  }

  async #send<T>(
    step: string,
    method: 'GET' | 'POST',
    path: string,
    params: Params,
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const url = new URL(`${this.#options.baseUrl}/${this.#options.version}/${path}`);
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      (method === 'GET' ? url.searchParams : form).set(k, String(v));
    }
    return requestJson<T>(step, url, {
      method,
      // The token travels in a header, never in a URL that could end up in a log.
      headers: { authorization: `Bearer ${token}` },
      ...(method === 'POST' ? { body: form } : {}),
      signal: withTimeout(signal, this.#options.requestTimeoutMs),
    });
  }
}

/** One HTTP exchange, its answer parsed as JSON or turned into GraphError / GraphNoAnswerError. */
export async function requestJson<T>(step: string, url: URL | string, init: RequestInit): Promise<T> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, init);
    text = await res.text();
  } catch (err) {
    throw noAnswer(step, err, init.signal ?? undefined);
  }
  return parseAnswer<T>(step, res.status, res.headers, text);
}

/**
 * POSTs the video as buffers one after another in one request (sendBuffer: no copies, each
 * buffer flushed before the next is asked for, so the caller can refill one reused buffer).
 * Answer as requestJson.
 */
export async function uploadJson<T>(
  step: string,
  url: string,
  headers: Record<string, string>,
  body: AsyncIterable<Buffer>,
  signal: AbortSignal,
): Promise<T> {
  let status: number;
  let answerHeaders: Headers;
  let text: string;
  try {
    const res = await sendBuffer(url, { method: 'POST', headers, body, signal });
    status = res.status;
    answerHeaders = res.headers;
    text = await res.text();
  } catch (err) {
    throw noAnswer(step, err, signal);
  }
  return parseAnswer<T>(step, status, answerHeaders, text);
}

function noAnswer(step: string, err: unknown, signal: AbortSignal | undefined): Error {
  // Cancelled by the caller (not our timeout): let the cancellation through as it is.
  if (signal?.aborted && !isTimeout(signal)) return err as Error;
  return new GraphNoAnswerError(step, describeNetworkError(err));
}

function parseAnswer<T>(step: string, status: number, headers: Headers, text: string): T {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300 && body !== undefined && !(body as { error?: unknown }).error)
    return body as T;
  return graphError(step, status, headers, body, text);
}

function graphError(step: string, status: number, headers: Headers, body: unknown, text: string): never {
  const regain = regainAccessAt(headers);
  const graph = (body as { error?: GraphErrorBody } | undefined)?.error;
  if (graph && typeof graph === 'object') {
    const code = numberOr(graph.code);
    const subcode = numberOr(graph.error_subcode);
    const message = graph.error_user_msg || graph.message || `HTTP ${status}`;
    const detail = `${message} (code ${code ?? '?'}${subcode ? `, subcode ${subcode}` : ''})`;
    throw new GraphError(
      step,
      status,
      code,
      subcode,
      detail,
      graph.is_transient === true || status >= 500 || code === 1 || code === 2,
      regain,
    );
  }
  const upload = (body as { debug_info?: { retriable?: boolean; type?: string; message?: string } })
    ?.debug_info;
  if (upload && typeof upload === 'object') {
    throw new GraphError(
      step,
      status,
      // rupload refuses a bad token with its own shape; treat it as Graph's 190.
      upload.type === 'NotAuthorizedError' ? 190 : undefined,
      undefined,
      `${upload.message ?? `HTTP ${status}`}${upload.type ? ` (${upload.type})` : ''}`,
      upload.retriable === true || status >= 500,
      regain,
    );
  }
  const snippet = text.trim().slice(0, 200);
  throw new GraphError(
    step,
    status,
    undefined,
    undefined,
    snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`,
    status >= 500,
    regain,
  );
}

interface GraphErrorBody {
  message?: string;
  error_user_msg?: string;
  type?: string;
  code?: unknown;
  error_subcode?: unknown;
  is_transient?: boolean;
  fbtrace_id?: string;
}

/**
 * Meta's throttling header: `{"<id>": [{"type": ..., "estimated_time_to_regain_access": <minutes>}]}`.
 * Returns the latest time any entry names, or undefined when none does.
 */
export function regainAccessAt(headers: Headers, now = Date.now()): Date | undefined {
  const raw = headers.get('x-business-use-case-usage');
  if (!raw) return undefined;
  let minutes = 0;
  try {
    const parsed = JSON.parse(raw) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    for (const entries of Object.values(parsed)) {
      for (const e of entries ?? [])
        minutes = Math.max(minutes, Number(e.estimated_time_to_regain_access) || 0);
    }
  } catch {
    return undefined;
  }
  return minutes > 0 ? new Date(now + minutes * 60_000) : undefined;
}

function numberOr(value: unknown): number | undefined {
  const n = Number(value);
  return value === undefined || value === null || !Number.isFinite(n) ? undefined : n;
}

export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function isTimeout(signal: AbortSignal): boolean {
  return (signal.reason as Error | undefined)?.name === 'TimeoutError';
}

function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: NodeJS.ErrnoException };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  const cause = e.cause;
  if (cause?.code) return `${cause.code}: ${cause.message}`;
  return e.message;
}
