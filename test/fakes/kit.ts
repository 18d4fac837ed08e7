/**
 * What every fake platform server in test/fakes/ shares (FakeServer): the queue of injected
 * faults, the count and log of the requests it answered, the `/_fake/*` control routes, starting
 * and stopping the server; and for its main.ts (parseFakeArgs, runFake): `--port`, `--host`,
 * `--fault endpoint:kind[:times]`, the `FAKE_<NAME>_URL=` line, SIGTERM. A fake adds only its
 * platform's endpoints, answers and faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface FaultSpec<E extends string, K extends string> {
  endpoint: E | '*';
  kind: K;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Lets this many matching requests through first (`after: 1` on a chunk hits the second). */
  after?: number;
  /** hold-after-accept and stall-midway: how long the connection is held (ms). */
  holdMs?: number;
}

/** Faults injected for the next N matching requests, checked against the fake's own names. */
class FaultQueue<E extends string, K extends string, F extends FaultSpec<E, K>> {
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

  /** The fault this request to `endpoint` meets, if one of `kinds` is due; it counts as used. */
  take(endpoint: E, kinds: readonly K[]): F | undefined {
    const f = this.#faults.find(
      (x) => x.left > 0 && (x.endpoint === endpoint || x.endpoint === '*') && kinds.includes(x.kind),
    );
    if (!f) return undefined;
    if (f.after) {
      f.after--;
      return undefined;
    }
    f.left--;
    return f;
  }

  clear(): void {
    this.#faults = [];
  }
}

/** `--fault <endpoint>:<kind>[:times]` of a fake's main.ts. */
function parseFaultFlag<E extends string, K extends string>(
  value: string | undefined,
  endpoints: readonly E[],
  kinds: readonly K[],
): FaultSpec<E, K> {
  const [endpoint, kind, times] = (value ?? '').split(':');
  if (!(endpoint === '*' || endpoints.includes(endpoint as E)) || !kinds.includes(kind as K)) {
    throw new Error(
      `--fault ${value}: expected <endpoint>:<kind>[:times], endpoint one of ${endpoints.join(', ')} or *, kind one of ${kinds.join(', ')}`,
    );
  }
  return { endpoint: endpoint as E | '*', kind: kind as K, times: times ? Number(times) : 1 };
}

/** One answer of the fake: which endpoint, which HTTP status (0: the connection dropped), when. */
export type Answer<E extends string> = { endpoint: E; status: number; at: number };

/** A JSON answer, unless the connection is already answered or gone (a fault dropped it). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Reads about `bytes` of the body (whole pieces as they come), then stops reading. */
export function readPart(req: IncomingMessage, bytes: number): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const stop = (): void => {
      req.pause();
      req.off('data', take);
      req.off('end', stop);
      req.off('close', stop);
      resolve(got);
    };
    const take = (piece: Buffer): void => {
      got += piece.length;
      if (got >= bytes) stop();
    };
    req.on('data', take);
    req.once('end', stop);
    req.once('close', stop);
  });
}

/** The body as JSON (an object, or an array for `/_fake/faults`); {} when empty or not JSON. */
export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * A fake platform server: a real HTTP server on loopback. A subclass answers the platform's
 * endpoints (`answer`, counting each with `count` and meeting faults with `take`), says what its
 * `state` is and which `controls` it adds; this class serves `/_fake/*`, keeps the fault queue,
 * the request counts and the log, and starts and stops the server.
 *
 * Control routes: `GET /_fake/state` (the fake's state, requests, log, pending faults),
 * `POST /_fake/faults` (one fault or an array), `POST /_fake/reset`, and the subclass's own.
 */
export abstract class FakeServer<
  E extends string,
  K extends string,
  F extends FaultSpec<E, K>,
  X extends object = object,
> {
  /** Requests per endpoint since the start or the last reset. */
  readonly requests: Record<E, number>;
  /** Every answer in order: which endpoint, which status (0: the connection dropped), when. */
  readonly log: Array<Answer<E> & Partial<X>> = [];
  /** The endpoints of the requests held right now (hold-after-accept, stall-midway). */
  readonly holding: E[] = [];
  readonly #faults: FaultQueue<E, K, F>;
  readonly #server: Server;

  protected constructor(
    readonly name: string,
    readonly endpoints: readonly E[],
    kinds: readonly K[],
    readonly host: string,
    /** How the platform answers a request the fake failed on (a bug in the fake: status 500). */
    onError: (res: ServerResponse, err: Error) => void,
  ) {
    this.requests = Object.fromEntries(endpoints.map((e) => [e, 0])) as Record<E, number>;
    this.#faults = new FaultQueue<E, K, F>(endpoints, kinds);
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const answered = url.pathname.startsWith('/_fake/')
        ? readBody(req).then((body) => this.#control(req.method ?? 'GET', url.pathname, body, res))
        : this.answer(req, res, url);
      answered.catch((err: Error) => onError(res, err));
    });
  }

  /** Answers one request to the platform's API (`url` is req.url parsed). */
  protected abstract answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;

  /** What `GET /_fake/state` shows besides requests, log and pending faults. */
  protected abstract state(): Record<string, unknown>;

  /** The fake's own `POST /_fake/*` routes: path → answer, given the JSON body. */
  protected controls(): Record<string, (body: Record<string, unknown>) => unknown> {
    return {};
  }

  /** The fake's clock in ms (the log's `at`); a fake with a movable clock overrides it. */
  now(): number {
    return Date.now();
  }

  protected listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.host, () => resolve());
    });
  }

  /** The base URL the fake answers on. */
  get url(): string {
    return `http://${this.host}:${(this.#server.address() as AddressInfo).port}`;
  }

  inject(...faults: F[]): void {
    this.#faults.inject(...faults);
  }

  /** Faults not yet used up. */
  get pendingFaults(): F[] {
    return this.#faults.pending;
  }

  /** Clears faults, counts and log; a subclass clears its own state too, then calls this. */
  reset(): void {
    this.#faults.clear();
    this.log.length = 0;
    for (const e of this.endpoints) this.requests[e] = 0;
  }

  /** Stops at once, dropping kept-alive and in-flight connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Holds a request: keeps nothing more of its body and answers nothing for `ms`, or until the
   * client goes away (a SIGKILLed worker). Meanwhile `holding` (and `/_fake/state`) lists it, so a
   * test knows when to kill. Returns whether the client is still there to be answered.
   */
  protected async hold(endpoint: E, req: IncomingMessage, res: ServerResponse, ms: number): Promise<boolean> {
    this.holding.push(endpoint);
    // What still arrives is read and dropped: a socket nobody reads never notices its client is gone.
    const drop = (): void => {
      while (req.read() !== null);
    };
    req.on('readable', drop);
    drop();
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        timer.unref();
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      req.off('readable', drop);
      this.holding.splice(this.holding.indexOf(endpoint), 1);
    }
    return !res.destroyed && !res.writableEnded && !res.socket?.destroyed;
  }

  /** Counts a request to `endpoint`; its answer goes into the log when the response closes. */
  protected count(endpoint: E, res: ServerResponse, extra?: X): void {
    this.requests[endpoint]++;
    res.on('close', () =>
      this.log.push({
        endpoint,
        status: res.headersSent ? res.statusCode : 0,
        at: this.now(),
        ...extra,
      } as Answer<E> & Partial<X>),
    );
  }

  /** The fault this request to `endpoint` meets, if one of `kinds` is due; it counts as used. */
  protected take(endpoint: E, kinds: readonly K[]): F | undefined {
    return this.#faults.take(endpoint, kinds);
  }

  #control(method: string, path: string, body: Buffer, res: ServerResponse): void {
    const reply = (status: number, payload: unknown): void => sendJson(res, status, payload);
    if (method === 'GET' && path === '/_fake/state') {
      return reply(200, {
        ...this.state(),
        requests: this.requests,
        log: this.log,
        faults: this.pendingFaults,
        holding: this.holding,
      });
    }
    if (method === 'POST' && path === '/_fake/faults') {
      const parsed = parseJson(body) as unknown;
      try {
        this.inject(...((Array.isArray(parsed) ? parsed : [parsed]) as F[]));
      } catch (err) {
        return reply(400, { error: (err as Error).message });
      }
      return reply(200, { faults: this.pendingFaults });
    }
    if (method === 'POST' && path === '/_fake/reset') {
      this.reset();
      return reply(200, { ok: true });
    }
    const own = this.controls();
    if (method === 'POST' && own[path]) return reply(200, own[path](parseJson(body)));
    const routes = ['GET /_fake/state', 'POST /_fake/faults', 'POST /_fake/reset'];
    for (const p of Object.keys(own)) routes.push(`POST ${p}`);
    reply(404, { error: `${this.name} control: no ${method} ${path}; use ${routes.join(', ')}` });
  }
}

/** What a fake's main.ts was asked for on its command line. */
export interface FakeArgs<E extends string, K extends string, N extends string, B extends string> {
  port: number;
  host: string;
  faults: Array<FaultSpec<E, K>>;
  /** The whole-number options, by flag name without the dashes. */
  numbers: Record<N, number>;
  /** The on/off options, by flag name without the dashes. */
  switches: Record<B, boolean>;
}

/**
 * Parses a fake's command line: `--port` (default 0), `--host` (default 127.0.0.1), repeated
 * `--fault <endpoint>:<kind>[:times]`, and the fake's own whole-number options (flag name →
 * default) and on/off switches. An unknown option or a bad value throws, naming the usage file.
 */
export function parseFakeArgs<E extends string, K extends string, N extends string, B extends string = never>(
  argv: string[],
  spec: {
    usage: string;
    endpoints: readonly E[];
    kinds: readonly K[];
    numbers: Record<N, number>;
    switches?: readonly B[];
  },
): FakeArgs<E, K, N, B> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    port: { type: 'string' },
    host: { type: 'string' },
    fault: { type: 'string', multiple: true },
  };
  for (const n of Object.keys(spec.numbers)) options[n] = { type: 'string' };
  for (const b of spec.switches ?? []) options[b] = { type: 'boolean' };
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${(err as Error).message}; see ${spec.usage} for usage`);
  }
  const whole = (flag: string, fallback: number): number => {
    const value = values[flag] as string | undefined;
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} ${value}: expected a whole number`);
    return n;
  };
  return {
    port: whole('port', 0),
    host: (values.host as string | undefined) ?? '127.0.0.1',
    faults: ((values.fault as string[] | undefined) ?? []).map((f) =>
      parseFaultFlag(f, spec.endpoints, spec.kinds),
    ),
    numbers: Object.fromEntries(
      Object.entries<number>(spec.numbers).map(([flag, fallback]) => [flag, whole(flag, fallback)]),
    ) as Record<N, number>,
    switches: Object.fromEntries((spec.switches ?? []).map((b) => [b, values[b] === true])) as Record<
      B,
      boolean
    >,
  };
}

/**
 * Runs a fake as its own process (its main.ts): `start` parses the command line and starts it;
 * once it listens this prints `<urlVariable>=<url>` on stdout, and SIGTERM or SIGINT stop it.
 * A bad option or a failed start prints `<name>: <why>` on stderr and exits with status 2.
 */
export function runFake(
  name: string,
  urlVariable: string,
  start: () => Promise<{ url: string; close: () => Promise<void> }>,
): void {
  start()
    .then((fake) => {
      process.stdout.write(`${urlVariable}=${fake.url}\n`);
      const shutdown = (): void => {
        void fake.close().then(() => process.exit(0));
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    })
    .catch((err: Error) => {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    });
}
