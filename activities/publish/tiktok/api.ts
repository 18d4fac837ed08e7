import { once } from 'node:events';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { TokenSource } from '../accounts';

/**
 * The TikTok Open API over HTTP: JSON calls with the account's bearer token (refreshed once when
 * TikTok rejects it), and chunk PUTs that stream from storage. Knows TikTok's wire format, not
 * what a failure means for a post: that is the channel's job.
 */

export const TIKTOK_API_BASE_URL = 'https://open.tiktokapis.com';

/** A TikTok answer that is not a success: HTTP status plus TikTok's error.code and message. */
export class TikTokApiError extends Error {
  override readonly name = 'TikTokApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    /** From Retry-After, when a 429 carried one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`HTTP ${status} ${code}${apiMessage ? `: ${apiMessage}` : ''}`);
  }
}

interface Envelope<T> {
  data?: T;
  error?: { code?: string; message?: string; log_id?: string };
}

export class TikTokApi {
  readonly #agent: { http: HttpAgent; https: HttpsAgent } = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };

  constructor(
    readonly baseUrl: string,
    readonly tokens: TokenSource,
    readonly timeoutMs: number,
  ) {}

  /**
   * POSTs JSON to an Open API path and returns `data`. A rejected access token is refreshed
   * once (TokenSource.refreshAfterRejection) and the call repeated with the new one.
   */
  async call<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    let token = await this.tokens.accessToken();
    for (let refreshed = false; ; refreshed = true) {
      try {
        return await this.#post<T>(path, body, token, signal);
      } catch (err) {
        const rejected =
          err instanceof TikTokApiError &&
          (err.code === 'access_token_invalid' ||
            (err.status === 401 && err.code !== 'scope_not_authorized'));
        if (!rejected || refreshed) throw err;
        token = await this.tokens.refreshAfterRejection(token);
      }
    }
  }

  async #post<T>(path: string, body: unknown, token: string, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=UTF-8' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    let parsed: Envelope<T> = {};
    try {
      parsed = parseJsonKeepingIds(text) as Envelope<T>;
    } catch {
      // Not JSON (a proxy's error page): the HTTP status says enough.
    }
    const code = parsed.error?.code ?? (res.ok ? 'ok' : `http_${res.status}`);
    if (!res.ok || code !== 'ok') {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new TikTokApiError(
        res.status,
        code,
        parsed.error?.message ?? '',
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return (parsed.data ?? {}) as T;
  }

  /**
   * PUTs one chunk to the upload URL with `Content-Range: bytes FIRST-LAST/TOTAL`, streaming
   * `bytes` with backpressure (nothing is buffered beyond the socket's own). Resolves with the
   * HTTP status: 206 for a chunk, 201 once TikTok has every byte.
   */
  putChunk(
    uploadUrl: string,
    range: { first: number; last: number; total: number },
    contentType: string,
    bytes: AsyncIterable<Buffer>,
    signal?: AbortSignal,
  ): Promise<number> {
    const url = new URL(uploadUrl);
    const https = url.protocol === 'https:';
    return new Promise<number>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'PUT',
        agent: https ? this.#agent.https : this.#agent.http,
        signal,
        headers: {
          'content-type': contentType,
          'content-length': String(range.last - range.first + 1),
          'content-range': `bytes ${range.first}-${range.last}/${range.total}`,
        },
      });
      // An idle socket, not a slow one, is what fails a large chunk.
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no progress for ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 201 || status === 206) return resolve(status);
          reject(uploadError(status, Buffer.concat(parts).toString('utf8'), res.headers));
        });
      });
      void (async () => {
        for await (const piece of bytes) {
          if (!req.write(piece)) await once(req, 'drain');
        }
        req.end();
      })().catch((err: Error) => req.destroy(err));
    });
  }
}

function uploadError(status: number, text: string, headers: IncomingHttpHeaders): TikTokApiError {
  let parsed: Envelope<unknown> = {};
  try {
    parsed = JSON.parse(text) as Envelope<unknown>;
  } catch {
    // An empty or non-JSON body: the status says enough.
  }
  const retryAfter = Number(headers['retry-after']);
  return new TikTokApiError(
    status,
    parsed.error?.code ?? `http_${status}`,
    parsed.error?.message ?? '',
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/**
 * Reads a Readable in exact byte counts: each chunk of an upload takes its own length from the
 * one storage stream, and a resumed upload skips what TikTok already has.
 */
export class ByteReader {
  readonly #pieces: AsyncIterator<Buffer>;
  #rest: Buffer | undefined;

  constructor(readonly stream: Readable) {
    this.#pieces = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async *take(count: number): AsyncGenerator<Buffer> {
    let left = count;
    while (left > 0) {
      let piece = this.#rest;
      this.#rest = undefined;
      if (!piece) {
        const next = await this.#pieces.next();
        if (next.done) throw new Error(`the stored video ended ${left} bytes early`);
        piece = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
      }
      if (piece.length > left) {
        this.#rest = piece.subarray(left);
        piece = piece.subarray(0, left);
      }
      left -= piece.length;
      yield piece;
    }
  }

  async skip(count: number): Promise<void> {
    for await (const _ of this.take(count)) {
      // discarded: TikTok has these bytes
    }
  }

  close(): void {
    this.stream.destroy();
  }
}

/**
 * JSON.parse, except that integers too long for a double (TikTok's int64 post ids) are kept as
 * strings instead of being rounded to another id.
 */
export function parseJsonKeepingIds(text: string): unknown {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text[end])) end++;
      const literal = text.slice(i, end);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, i)}"${literal}"`;
        copied = end;
      }
      i = end;
    } else {
      i++;
    }
  }
  return JSON.parse(out + text.slice(copied));
}
