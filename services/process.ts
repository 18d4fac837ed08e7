import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A dev service that could not start or stopped working. The message says which and what to do. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(`${service}: ${message}`);
  }
}

export interface ServiceSpec {
  /** Human name used in every message, e.g. "Temporal dev server". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Resolves once the service answers; called repeatedly until it does or time runs out. */
  healthy: () => Promise<boolean>;
  startTimeoutMs?: number;
  /** Run in its own session so it outlives this process (`reelcast dev up`). */
  detached?: boolean;
}

/**
 * A child process with its output in a log file, a health check, and a clear failure when it
 * exits early or dies later. Never hangs: start has a deadline, stop escalates to SIGKILL.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  #stopping = false;
  #exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly #exited: Promise<void>;

  private constructor(readonly spec: ServiceSpec) {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    this.child = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: spec.detached ?? false,
    });
    closeSync(fd);
    this.#exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve();
      });
      this.child.once('error', (err) => {
        this.#exit = { code: null, signal: null };
        this.#spawnError = err;
        resolve();
      });
    });
    if (spec.detached) this.child.unref();
  }

  #spawnError?: Error;

  static async start(spec: ServiceSpec): Promise<ManagedProcess> {
    const proc = new ManagedProcess(spec);
    const deadline = Date.now() + (spec.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (proc.#exit) throw proc.#failure('exited while starting');
      if (await spec.healthy().catch(() => false)) return proc;
      await Promise.race([sleep(250), proc.#exited]);
    }
    await proc.stop();
    throw new ServiceError(
      spec.name,
      `did not become healthy within ${Math.round((spec.startTimeoutMs ?? 60_000) / 1000)} s. Last log lines (${spec.logFile}):\n${tail(spec.logFile)}`,
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.#exit;
  }

  /** Calls `handler` once if the process exits without stop() having been asked for. */
  onUnexpectedExit(handler: (error: ServiceError) => void): void {
    void this.#exited.then(() => {
      if (!this.#stopping) handler(this.#failure('stopped unexpectedly'));
    });
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    if (this.#exit) return;
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([
      this.#exited.then(() => false),
      sleep(graceMs, undefined, { ref: false }).then(() => true),
    ]);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.#exited;
    }
  }

  #failure(what: string): ServiceError {
    if (this.#spawnError) {
      return new ServiceError(
        this.spec.name,
        `could not run ${this.spec.command}: ${this.#spawnError.message}`,
      );
    }
    const how = this.#exit?.signal ? `killed by ${this.#exit.signal}` : `exit code ${this.#exit?.code}`;
    return new ServiceError(
      this.spec.name,
      `${what} (${how}). Last log lines (${this.spec.logFile}):\n${tail(this.spec.logFile)}`,
    );
  }
}

/** The last lines of a log file, indented, for error messages. */
export function tail(file: string, lines = 12): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return text
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '    (no log output)';
  }
}

/** A port the OS says is free right now on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Fails with a clear message when something already listens on host:port. */
export async function assertPortFree(
  service: string,
  host: string,
  port: number,
  advice: string,
): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
  if (!free) throw new ServiceError(service, `cannot start: ${host}:${port} is already in use. ${advice}`);
}

/** Whether a process with this pid is alive (for state files of detached services). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
