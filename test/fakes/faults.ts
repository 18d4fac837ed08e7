/**
 * Fault injection for the fake platform servers: a queue of "the next N requests to this
 * endpoint fail this way", checked against the fake's own endpoint and fault names, and the
 * `--fault endpoint:kind[:times]` option of their stand-alone programs.
 */

export interface FaultSpec<E extends string, K extends string> {
  endpoint: E | '*';
  kind: K;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Lets this many matching requests through first. */
  after?: number;
}

export class FaultQueue<E extends string, K extends string, F extends FaultSpec<E, K>> {
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

/** Parses `--fault <endpoint>:<kind>[:times]`. */
export function parseFaultOption<E extends string, K extends string>(
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
