/**
 * The worker's side of the C2PA service (c2pa_service.py): one Python process per worker, started
 * once, that signs each rendition with c2pa-python. Requests are JSON lines; answers come back in
 * order. A process that dies fails the requests in flight (retryable) and is started again on the
 * next one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { C2paServiceError } from './errors';

export interface ServiceFailure {
  kind: string;
  error: string;
}

export interface ReadResult {
  /** c2pa's validation state: Trusted, Valid or Invalid; null when the file has no manifest. */
  state: 'Trusted' | 'Valid' | 'Invalid' | null;
  manifest: C2paManifestJson | null;
  results: {
    activeManifest?: {
      success?: Array<{ code: string; explanation?: string }>;
      failure?: Array<{ code: string; explanation?: string }>;
    };
  } | null;
}

/** The parts of c2pa's manifest JSON that Reelcast reads. */
export interface C2paManifestJson {
  title?: string;
  claim_generator_info?: Array<{ name: string; version?: string }>;
  assertions?: Array<{ label: string; data: Record<string, unknown> }>;
  signature_info?: { issuer?: string; common_name?: string; time?: string; alg?: string };
}

export interface MadeCa {
  files: { caCertificate: string; caKey: string; certificateChain: string; privateKey: string };
  notAfter: string;
}

/** Where the repository's files are, from src (ts-node/jest) or dist/. */
export function provenanceDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'activities', 'provenance');
    if (existsSync(join(candidate, 'c2pa_service.py'))) return candidate;
  }
  throw new C2paServiceError(`c2pa_service.py is missing beside ${__dirname}; reinstall Reelcast`);
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class C2paService {
  #proc: ChildProcessWithoutNullStreams | undefined;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  #stderr = '';
  #init: Record<string, unknown> | undefined;

  constructor(readonly python: string) {}

  /** Loads the signing certificate and key into the process (again after a restart). */
  async init(request: { alg: string; chain: string; key: string; tsa?: string }): Promise<void> {
    this.#init = { op: 'init', ...request, tsa: request.tsa ?? null };
    await this.#call(this.#init);
  }

  async sign(path: string, manifest: object, format = 'video/mp4'): Promise<void> {
    await this.#call({ op: 'sign', path, format, manifest });
  }

  async read(path: string, anchors?: string): Promise<ReadResult> {
    return (await this.#call({ op: 'read', path, anchors: anchors ?? null })) as ReadResult;
  }

  async makeCa(dir: string, organization: string, days: number): Promise<MadeCa> {
    return (await this.#call({ op: 'make-ca', dir, organization, days })) as MadeCa;
  }

  close(): void {
    this.#proc?.stdin.end();
    this.#proc = undefined;
  }

  async #call(request: Record<string, unknown>): Promise<unknown> {
    if (!this.#proc) {
      this.#start();
      // A restarted process gets its credentials back first; requests stay in order.
      if (this.#init && request !== this.#init) void this.#call(this.#init).catch(() => undefined);
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#hold(true);
      this.#proc!.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  /** Keeps Node running while an answer is due, and only then: an idle signer never holds a process open. */
  #hold(on: boolean): void {
    const proc = this.#proc;
    if (!proc) return;
    for (const handle of [proc, proc.stdout, proc.stderr, proc.stdin] as unknown as Array<{
      ref?: () => void;
      unref?: () => void;
    }>)
      if (on) handle.ref?.();
      else handle.unref?.();
  }

  #start(): void {
    const proc = spawn(this.python, [join(provenanceDir(), 'c2pa_service.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', PYTHONUNBUFFERED: '1' },
    });
    this.#proc = proc;
    this.#stderr = '';
    proc.stderr.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-2000)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let reply: { id: number; ok: boolean; result?: unknown } & Partial<ServiceFailure>;
      try {
        reply = JSON.parse(line);
      } catch {
        return;
      }
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#hold(false);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new C2paServiceError(reply.error ?? 'failed', reply.kind));
    });
    // An error stops the stdin writes too: the close handler below rejects what is pending.
    proc.stdin.on('error', () => undefined);
    const failAll = (why: string): void => {
      if (this.#proc === proc) this.#proc = undefined;
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.reject(new C2paServiceError(why, 'crashed'));
      }
    };
    proc.on('error', (err) => failAll(`cannot run ${this.python}: ${err.message}`));
    proc.on('close', (code, signal) =>
      failAll(
        `the C2PA signer process ended (${signal ?? `exit ${code}`})${this.#stderr ? `: ${this.#stderr.trim().split('\n').pop()}` : ''}`,
      ),
    );
  }
}
