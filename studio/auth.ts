import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do: viewers look, editors act on posts and campaigns, admins too. */
export function mayAct(role: Role): boolean {
  return role === 'editor' || role === 'admin';
}

export interface StudioUser {
  name: string;
  role: Role;
  /** `scrypt$N$r$p$<salt b64>$<hash b64>` */
  passwordHash: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Compares two secrets in constant time (for the single-person token). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The users file (`studio.usersFile`): JSON, written by `reelcast studio add-user`. */
export function readUsers(file: string): StudioUser[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { users?: StudioUser[] };
  return (parsed.users ?? []).filter((u) => ROLES.includes(u.role));
}

/** Adds or replaces a user; the file is written whole (rename), readable by its owner only. */
export async function addUser(file: string, name: string, role: Role, password: string): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name))
    throw new Error(`user name "${name}": use letters, digits, ".", "_", "@" or "-" (at most 64)`);
  if (!ROLES.includes(role)) throw new Error(`role "${role}": use one of ${ROLES.join(', ')}`);
  if (password.length < 10) throw new Error('the password needs at least 10 characters');
  const users = readUsers(file).filter((u) => u.name !== name);
  users.push({ name, role, passwordHash: await hashPassword(password) });
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  expiresAt: number;
}

/**
 * Sessions in memory: a random id in an HttpOnly cookie, the CSRF token beside it. A restart
 * signs everyone out, which is acceptable for a team tool and keeps secrets off disk.
 */
export class Sessions {
  readonly #byId = new Map<string, Session>();
  constructor(
    private readonly ttlMs = 12 * 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string, role: Role): Session {
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      role,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: this.now() + this.ttlMs,
    };
    this.#byId.set(session.id, session);
    return session;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.#byId.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.#byId.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.#byId.delete(id);
  }
}

/** The CSRF check: the form field or header must equal the session's token. */
export function csrfOk(session: Session, sent: string | undefined): boolean {
  return typeof sent === 'string' && sameSecret(session.csrf, sent);
}

/**
 * Log-in attempts: at most `limit` failures per key (client address, and user name) within
 * `windowMs`; then refused until the window passes. A success clears the key.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again; 0 when it may now. */
  retryAfter(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.limit) return 0;
    return Math.ceil((recent[0] + this.windowMs - this.now()) / 1000);
  }

  failed(key: string): void {
    this.#failures.set(key, [...this.#recent(key), this.now()]);
  }

  succeeded(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent;
  }
}
