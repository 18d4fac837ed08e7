/**
 * What every fake platform server in test/fakes/ shares: the queue of injected faults, the
 * `/_fake/*` control routes, the `--fault endpoint:kind[:times]` flag of its main.ts, and body
 * reading. A fake adds only its platform's endpoints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FaultBase<E extends string, K extends string> {
  endpoint: E | '*';
  kind: K;
  /** How many matching requests it hits (default 1). */
  times?: number;
}

/** Faults injected for the next N matching requests, validated against the fake's names. */
export class FaultQueue<E extends string, K extends string, F extends FaultBase<E, K>> {
  #faults: Array<F & { left: number }> = [];

  constructor(
    readonly endpoints: readonly E[],
    readonly kinds: readonly K[],
  ) {}

  inject(...faults: F[]): void {
    for (const f of faults) {
      if (!this.kinds.includes(f.kind))
        throw new Error(`unknown fault kind ${f.kind}: use one of ${this.kinds.join(', ')}`);
      if (f.endpoint !== '*' && !this.endpoints.includes(f.endpoint)) {
        throw new Error(`unknown endpoint ${f.endpoint}: use one of ${this.endpoints.join(', ')} or *`);
      }
      this.#faults.push({ ...f, left: f.times ?? 1 });
    }
  }

  /** Faults not yet used up. */
  get pending(): F[] {
    return this.#faults.filter((f) => f.left > 0);
  }

  /** Uses up one hit of the first pending fault of these kinds for this endpoint. */
  take(endpoint: E, kinds: readonly K[]): F | undefined {
    const f = this.#faults.find(
      (x) => x.left > 0 && (x.endpoint === endpoint || x.endpoint === '*') && kinds.includes(x.kind),
    );
    if (f) f.left--;
    return f;
  }

  clear(): void {
    this.#faults = [];
  }
}

/** `--fault <endpoint>:<kind>[:times]` of a fake's main.ts. */
export function parseFaultFlag<E extends string, K extends string>(
  value: string | undefined,
  endpoints: readonly E[],
  kinds: readonly K[],
): FaultBase<E, K> {
  const [endpoint, kind, times] = (value ?? '').split(':');
  if (!(endpoint === '*' || endpoints.includes(endpoint as E)) || !kinds.includes(kind as K)) {
    throw new Error(
      `--fault ${value}: expected <endpoint>:<kind>[:times], endpoint one of ${endpoints.join(', ')} or *, kind one of ${kinds.join(', ')}`,
    );
  }
  return { endpoint: endpoint as E | '*', kind: kind as K, times: times ? Number(times) : 1 };
}

/**
 * The control routes: `GET /_fake/state`, `POST /_fake/faults` (one fault or an array),
 * `POST /_fake/reset`, and the fake's own `extra` routes (path → answer).
 */
export function answerControl<F>(
  method: string,
  path: string,
  body: Buffer,
  res: ServerResponse,
  fake: {
    name: string;
    state: () => unknown;
    inject: (...faults: F[]) => void;
    pending: () => F[];
    reset: () => void;
    extra?: Record<string, () => unknown>;
  },
): void {
  const reply = (status: number, payload: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(payload));
  };
  if (method === 'GET' && path === '/_fake/state') return reply(200, fake.state());
  if (method === 'POST' && path === '/_fake/faults') {
    const parsed = parseJson(body) as unknown;
    try {
      fake.inject(...((Array.isArray(parsed) ? parsed : [parsed]) as F[]));
    } catch (err) {
      return reply(400, { error: (err as Error).message });
    }
    return reply(200, { faults: fake.pending() });
  }
  if (method === 'POST' && path === '/_fake/reset') {
    fake.reset();
    return reply(200, { ok: true });
  }
  const extra = method === 'POST' ? fake.extra?.[path] : undefined;
  if (extra) return reply(200, extra());
  const routes = ['GET /_fake/state', 'POST /_fake/faults', 'POST /_fake/reset'];
  for (const p of Object.keys(fake.extra ?? {})) routes.push(`POST ${p}`);
  reply(404, { error: `${fake.name} control: no ${method} ${path}; use ${routes.join(', ')}` });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The body as a JSON object; {} when empty or not JSON. */
export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
