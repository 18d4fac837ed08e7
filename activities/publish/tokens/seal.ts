import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for account secrets: AES-256-GCM with a 32-byte key from
 * `channels.tokens.key` (REELCAST_TOKEN_KEY). The key must be random bytes, given as 64 hex
 * digits or as base64; a passphrase is refused rather than stretched, because a malformed key
 * silently read as a passphrase would encrypt with a key nobody meant to set.
 *
 * Each sealed value carries the key's id (a hash, not the key), so "wrong key" and "no key" are
 * told apart from "damaged", and is bound to its account (additional authenticated data), so
 * a sealed value copied onto another account does not open there.
 */

export const KEY_SETTING = 'REELCAST_TOKEN_KEY (channels.tokens.key)';

export interface Sealed {
  encryption: 'aes-256-gcm';
  /** First 16 hex digits of SHA-256("reelcast-token-key\0" + key): which key sealed it. */
  keyId: string;
  iv: string;
  tag: string;
  data: string;
}

export class TokenKeyError extends Error {
  override readonly name = 'TokenKeyError';
}

export interface TokenKey {
  readonly id: string;
  readonly bytes: Buffer;
}

/** Parses the configured key text. Throws TokenKeyError naming the setting, never echoing it. */
export function parseTokenKey(text: string): TokenKey {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
  if (bytes?.length !== 32) {
    throw new TokenKeyError(
      `${KEY_SETTING} must be 32 random bytes written as 64 hex digits or as base64 (make one with \`openssl rand -base64 32\`); the value set is neither`,
    );
  }
  return { bytes, id: keyId(bytes) };
}

function keyId(bytes: Buffer): string {
  return createHash('sha256').update('reelcast-token-key\0').update(bytes).digest('hex').slice(0, 16);
}

export function seal(key: TokenKey, plaintext: string, boundTo: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    encryption: 'aes-256-gcm',
    keyId: key.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** `what` names the sealed thing in errors (e.g. "the tokens of tiktok account us-main"). */
export function unseal(key: TokenKey | undefined, sealed: Sealed, boundTo: string, what: string): string {
  if (!key) {
    throw new TokenKeyError(
      `${what} are stored encrypted, but ${KEY_SETTING} is not set: set it to the key they were stored with`,
    );
  }
  if (sealed.keyId !== key.id) {
    throw new TokenKeyError(
      `${what} were stored with another key than the one in ${KEY_SETTING}: set the key they were stored with, or connect the account again to store them with this one`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new TokenKeyError(
      `${what} cannot be decrypted with the key in ${KEY_SETTING} (the stored object is damaged or was copied from another account): connect the account again`,
    );
  }
}
