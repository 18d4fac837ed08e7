/**
 * The fake X API, because the real X cannot be reached here.
 * A real HTTP server on loopback that speaks the v2 endpoints Reelcast uses, the way
 * twitter-api-v2 1.29 calls them, so the real client runs unchanged against it:
 *
 *   GET  /2/users/me                                  the posting account
 *   POST /2/media/upload/initialize   (JSON)          { media_type, total_bytes, media_category }
 *   POST /2/media/upload/:id/append   (multipart)     segment_index, media
 *   POST /2/media/upload/:id/finalize
 *   GET  /2/media/upload?command=STATUS&media_id=:id  processing_info
 *   POST /2/tweets                    (JSON)          { text, media: { media_ids } }
 *   GET  /2/tweets?ids=a,b   GET /2/tweets/:id        look up posts
 *   GET  /2/users/:id/tweets                          user timeline (start_time, pagination_token)
 *
 * Like X, it appends a t.co media link to the text of a post with media, refuses a caption the
 * account already posted (403 duplicate content), and sends x-rate-limit-* headers.
 *
 * Faults are injected per endpoint, for the next N matching requests:
 *   rate-limit          429 with x-rate-limit-reset = now + resetInSeconds
 *   unavailable         503
 *   unauthorized        401
 *   duplicate           403 duplicate content (create)
 *   reset-after-accept  stores the post, then drops the connection without answering (create)
 *   hold-after-accept   stores the post, then answers only after holdMs (create): time to
 *                       SIGKILL the worker between "X has it" and "the activity completed"
 *   stall-midway        half the segment arrives, then nothing more is read or answered for
 *                       holdMs (default 30 s), then the connection drops; the segment is not
 *                       kept (append): time to SIGKILL the worker mid-upload
 *   slow-processing     the media stays in_progress for processingMs (finalize)
 *   failed-processing   the media processing fails (finalize)
 * From a test: `fake.inject({ endpoint: 'create', kind: 'reset-after-accept' })`. From another
 * process: `POST /_fake/faults` with that JSON (or an array); `GET /_fake/state` returns posts,
 * media and request counts; `POST /_fake/reset` clears everything. See main.ts to run it alone.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseTweet } from 'twitter-text';
import { FakeServer, parseJson as json, readBody, readPart, sendJson, type FaultSpec } from '../kit';

export const ENDPOINTS = [
  'me',
  'initialize',
  'append',
  'finalize',
  'status',
  'create',
  'lookup',
  'timeline',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const FAULT_KINDS = [
  'rate-limit',
  'unavailable',
  'unauthorized',
  'duplicate',
  'reset-after-accept',
  'hold-after-accept',
  'stall-midway',
  'slow-processing',
  'failed-processing',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault extends FaultSpec<Endpoint, FaultKind> {
  /** rate-limit: seconds until x-rate-limit-reset (default 2). */
  resetInSeconds?: number;
  /** slow-processing: how long the media stays in_progress (default 3000). */
  processingMs?: number;
}

export interface FakePost {
  id: string;
  text: string;
  created_at: string;
  author_id: string;
  media_ids: string[];
  /** sha256 of the video bytes attached, to check what was uploaded. */
  media_sha256: string[];
}

export interface FakeMedia {
  id: string;
  totalBytes: number;
  mediaType: string;
  category: string;
  state: 'uploading' | 'pending' | 'in_progress' | 'succeeded' | 'failed';
  segments: Map<number, Buffer>;
  sha256?: string;
  readyAt?: number;
}

export interface FakeXOptions {
  host?: string;
  port?: number;
  /** Requests must carry OAuth 1.0a with this consumer key and access token. */
  appKey?: string;
  accessToken?: string;
  userId?: string;
  username?: string;
  /** How long each upload processes before it succeeds (default 0: first STATUS says succeeded). */
  processingMs?: number;
}

export const FAKE_X_DEFAULTS = {
  appKey: 'fake-app-key',
  appSecret: 'fake-app-secret',
  accessToken: 'fake-access-token',
  accessSecret: 'fake-access-secret',
  userId: '2244994945',
  username: 'reelcast_demo',
};

const DUPLICATE = 'You are not allowed to create a Tweet with duplicate content.';

export class FakeX extends FakeServer<Endpoint, FaultKind, Fault> {
  readonly posts: FakePost[] = [];
  readonly media = new Map<string, FakeMedia>();
  #nextId = 1_860_000_000_000_000_000n;
  readonly #options: Required<FakeXOptions>;

  private constructor(options: FakeXOptions) {
    super('fake X', ENDPOINTS, FAULT_KINDS, options.host ?? '127.0.0.1', (res, err) =>
      send(res, 500, { title: 'Fake X error', detail: err.message }),
    );
    this.#options = {
      host: this.host,
      port: 0,
      processingMs: 0,
      ...FAKE_X_DEFAULTS,
      ...options,
    };
  }

  static async start(options: FakeXOptions = {}): Promise<FakeX> {
    const fake = new FakeX(options);
    await fake.listen(fake.#options.port);
    return fake;
  }

  override reset(): void {
    this.posts.length = 0;
    this.media.clear();
    super.reset();
  }

  protected state(): Record<string, unknown> {
    return { posts: this.posts, media: [...this.media.values()].map(({ segments: _s, ...m }) => m) };
  }

  #id(): string {
    return String(this.#nextId++);
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const endpoint = route(req.method ?? 'GET', path);
    if (!endpoint) {
      await readBody(req);
      return send(res, 404, { title: 'Not Found Error', detail: `fake X has no ${req.method} ${path}` });
    }
    this.count(endpoint, res);
    const stall = endpoint === 'append' ? this.take('append', ['stall-midway']) : undefined;
    if (stall) {
      await readPart(req, Number(req.headers['content-length']) / 2 || 1);
      await this.hold('append', req, res, stall.holdMs ?? 30_000);
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);

    const auth = req.headers.authorization ?? '';
    const ok =
      auth.startsWith('OAuth ') &&
      auth.includes(`oauth_consumer_key="${encodeURIComponent(this.#options.appKey)}"`) &&
      auth.includes(`oauth_token="${encodeURIComponent(this.#options.accessToken)}"`) &&
      auth.includes('oauth_signature=');
    const fault = this.take(endpoint, ['rate-limit', 'unavailable', 'unauthorized']);
    if (!ok || fault?.kind === 'unauthorized') {
      return send(res, 401, {
        title: 'Unauthorized',
        type: 'about:blank',
        status: 401,
        detail: 'Unauthorized',
      });
    }
    if (fault?.kind === 'rate-limit') {
      const reset = Math.floor(Date.now() / 1000) + (fault.resetInSeconds ?? 2);
      return send(
        res,
        429,
        { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
        { 'x-rate-limit-limit': '300', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      );
    }
    if (fault?.kind === 'unavailable') {
      return send(res, 503, {
        title: 'Service Unavailable',
        detail: 'Service Unavailable',
        type: 'about:blank',
        status: 503,
      });
    }

    switch (endpoint) {
      case 'me':
        return send(res, 200, {
          data: { id: this.#options.userId, name: 'Reelcast Demo', username: this.#options.username },
        });
      case 'initialize':
        return this.#initialize(json(body), res);
      case 'append':
        return this.#append(path.split('/')[4], req.headers['content-type'] ?? '', body, res);
      case 'finalize':
        return this.#finalize(path.split('/')[4], res);
      case 'status':
        return this.#status(url.searchParams.get('media_id') ?? '', res);
      case 'create':
        return this.#create(json(body), req, res);
      case 'lookup':
        return this.#lookup(path, url.searchParams, res);
      case 'timeline':
        return this.#timeline(path.split('/')[3], url.searchParams, res);
    }
  }

  #initialize(body: Record<string, unknown>, res: ServerResponse): void {
    const totalBytes = Number(body.total_bytes);
    if (!Number.isInteger(totalBytes) || totalBytes <= 0 || typeof body.media_type !== 'string') {
      return send(res, 400, { title: 'Invalid Request', detail: 'media_type and total_bytes are required' });
    }
    const id = this.#id();
    this.media.set(id, {
      id,
      totalBytes,
      mediaType: body.media_type,
      category: String(body.media_category ?? ''),
      state: 'uploading',
      segments: new Map(),
    });
    send(res, 200, { data: { id, media_key: `7_${id}`, expires_after_secs: 86400 } });
  }

  #append(id: string, contentType: string, body: Buffer, res: ServerResponse): void {
    const media = this.media.get(id);
    if (!media || media.state !== 'uploading')
      return send(res, 400, { title: 'Invalid Request', detail: `no upload ${id} in progress` });
    const fields = parseMultipart(contentType, body);
    const index = Number(fields.get('segment_index')?.toString());
    const chunk = fields.get('media');
    if (!Number.isInteger(index) || index < 0 || !chunk) {
      return send(res, 400, { title: 'Invalid Request', detail: 'segment_index and media are required' });
    }
    media.segments.set(index, chunk);
    send(res, 200, { data: { expires_at: Math.floor(Date.now() / 1000) + 86400 } });
  }

  #finalize(id: string, res: ServerResponse): void {
    const media = this.media.get(id);
    if (!media || media.state !== 'uploading')
      return send(res, 400, { title: 'Invalid Request', detail: `no upload ${id} in progress` });
    const ordered = [...media.segments.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    const bytes = Buffer.concat(ordered);
    if (bytes.length !== media.totalBytes) {
      return send(res, 400, {
        title: 'Invalid Request',
        detail: `received ${bytes.length} bytes, total_bytes said ${media.totalBytes}`,
      });
    }
    media.sha256 = createHash('sha256').update(bytes).digest('hex');
    media.segments.clear();
    const fault = this.take('finalize', ['slow-processing', 'failed-processing']);
    if (fault?.kind === 'failed-processing') {
      media.state = 'failed';
    } else {
      media.state = 'pending';
      media.readyAt =
        Date.now() +
        (fault?.kind === 'slow-processing' ? (fault.processingMs ?? 3000) : this.#options.processingMs);
    }
    send(res, 200, {
      data: {
        id,
        media_key: `7_${id}`,
        size: bytes.length,
        expires_after_secs: 86400,
        processing_info: { state: 'pending', check_after_secs: 1 },
      },
    });
  }

  #status(id: string, res: ServerResponse): void {
    const media = this.media.get(id);
    if (!media) return send(res, 400, { title: 'Invalid Request', detail: `unknown media ${id}` });
    if (media.state === 'failed') {
      return send(res, 200, {
        data: {
          id,
          processing_info: {
            state: 'failed',
            progress_percent: 30,
            error: { code: 1, name: 'InvalidMedia', message: 'Unsupported video format' },
          },
        },
      });
    }
    if (media.state !== 'uploading') {
      const left = (media.readyAt ?? 0) - Date.now();
      media.state = left <= 0 ? 'succeeded' : 'in_progress';
    }
    const info =
      media.state === 'succeeded'
        ? { state: 'succeeded', progress_percent: 100 }
        : { state: media.state, check_after_secs: 1, progress_percent: 50 };
    send(res, 200, { data: { id, media_key: `7_${id}`, processing_info: info } });
  }

  async #create(body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = typeof body.text === 'string' ? body.text : '';
    const mediaIds = ((body.media as { media_ids?: string[] } | undefined)?.media_ids ?? []).map(String);
    if (!text && mediaIds.length === 0)
      return send(res, 400, { title: 'Invalid Request', detail: 'text or media is required' });
    if (text && !parseTweet(text).valid) {
      return send(res, 400, { title: 'Invalid Request', detail: 'Your Tweet text is too long or invalid.' });
    }
    const media = mediaIds.map((id) => this.media.get(id));
    if (media.some((m) => !m || m.state !== 'succeeded')) {
      return send(res, 400, { title: 'Invalid Request', detail: 'Your media IDs are invalid.' });
    }
    const fault = this.take('create', ['duplicate', 'reset-after-accept', 'hold-after-accept']);
    const mine = this.posts.filter((p) => p.author_id === this.#options.userId);
    if (fault?.kind === 'duplicate' || mine.some((p) => stripMediaLink(p.text) === text)) {
      return send(res, 403, { detail: DUPLICATE, type: 'about:blank', title: 'Forbidden', status: 403 });
    }
    const id = this.#id();
    const post: FakePost = {
      id,
      // X shows attached media as a t.co link at the end of the text.
      text: mediaIds.length ? `${text} https://t.co/${id.slice(-10)}` : text,
      created_at: new Date().toISOString(),
      author_id: this.#options.userId,
      media_ids: mediaIds,
      media_sha256: media.map((m) => m!.sha256!),
    };
    this.posts.push(post);
    if (fault?.kind === 'reset-after-accept') {
      // The post exists, but the client never hears so: its outcome is unknown.
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hold-after-accept') await this.hold('create', req, res, fault.holdMs ?? 5000);
    send(res, 201, { data: { id, text: post.text, edit_history_tweet_ids: [id] } });
  }

  #lookup(path: string, query: URLSearchParams, res: ServerResponse): void {
    const ids =
      path === '/2/tweets' ? (query.get('ids') ?? '').split(',').filter(Boolean) : [path.split('/')[3]];
    const found = ids.map((id) => this.posts.find((p) => p.id === id));
    const data = found.filter((p): p is FakePost => !!p).map(view);
    const errors = ids
      .filter((_, i) => !found[i])
      .map((id) => ({
        value: id,
        detail: `Could not find tweet with ids: [${id}].`,
        title: 'Not Found Error',
        type: 'https://api.twitter.com/2/problems/resource-not-found',
      }));
    const single = path !== '/2/tweets';
    send(res, 200, {
      ...(data.length ? { data: single ? data[0] : data } : {}),
      ...(errors.length ? { errors } : {}),
    });
  }

  #timeline(userId: string, query: URLSearchParams, res: ServerResponse): void {
    const max = Math.min(100, Math.max(5, Number(query.get('max_results') ?? 10)));
    const start = query.get('start_time') ? Date.parse(query.get('start_time')!) : -Infinity;
    const end = query.get('end_time') ? Date.parse(query.get('end_time')!) : Infinity;
    const sinceId = query.get('since_id');
    const untilId = query.get('until_id');
    const offset = Number(query.get('pagination_token') ?? 0);
    const all = this.posts
      .filter((p) => p.author_id === userId)
      .filter((p) => {
        const t = Date.parse(p.created_at);
        return (
          t >= start &&
          t <= end &&
          (!sinceId || BigInt(p.id) > BigInt(sinceId)) &&
          (!untilId || BigInt(p.id) < BigInt(untilId))
        );
      })
      .reverse();
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? String(offset + max) : undefined;
    send(res, 200, {
      ...(page.length ? { data: page.map(view) } : {}),
      meta: {
        result_count: page.length,
        ...(page.length ? { newest_id: page[0].id, oldest_id: page[page.length - 1].id } : {}),
        ...(next ? { next_token: next } : {}),
      },
    });
  }
}

export function startFakeX(options: FakeXOptions = {}): Promise<FakeX> {
  return FakeX.start(options);
}

function route(method: string, path: string): Endpoint | undefined {
  if (method === 'GET' && path === '/2/users/me') return 'me';
  if (method === 'POST' && path === '/2/media/upload/initialize') return 'initialize';
  if (method === 'POST' && /^\/2\/media\/upload\/[^/]+\/append$/.test(path)) return 'append';
  if (method === 'POST' && /^\/2\/media\/upload\/[^/]+\/finalize$/.test(path)) return 'finalize';
  if (method === 'GET' && path === '/2/media/upload') return 'status';
  if (method === 'POST' && path === '/2/tweets') return 'create';
  if (method === 'GET' && (path === '/2/tweets' || /^\/2\/tweets\/\d+$/.test(path))) return 'lookup';
  if (method === 'GET' && /^\/2\/users\/[^/]+\/tweets$/.test(path)) return 'timeline';
  return undefined;
}

function view(p: FakePost): Record<string, unknown> {
  return {
    id: p.id,
    text: p.text,
    created_at: p.created_at,
    author_id: p.author_id,
    edit_history_tweet_ids: [p.id],
    ...(p.media_ids.length ? { attachments: { media_keys: p.media_ids.map((m) => `7_${m}`) } } : {}),
  };
}

function stripMediaLink(text: string): string {
  return text.replace(/ https:\/\/t\.co\/\w+$/, '');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const reset = String(Math.floor(Date.now() / 1000) + 900);
  sendJson(res, status, body, {
    'x-rate-limit-limit': '300',
    'x-rate-limit-remaining': '299',
    'x-rate-limit-reset': reset,
    ...headers,
  });
}

/** Just enough multipart/form-data for the append call: field name → bytes. */
function parseMultipart(contentType: string, body: Buffer): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) return fields;
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]+)"/.exec(headers)?.[1];
    if (name) fields.set(name, part.subarray(split + 4));
    pos = next;
  }
  return fields;
}
