/**
 * What can go wrong with Content Credentials, as classes with a stable `name` (Temporal matches
 * retry policies on it). Messages name the setting or file and say what to do; they never hold
 * key material.
 */

/**
 * The signing certificate or key cannot be used: missing, unreadable, expired, not matching, not
 * what C2PA accepts. No retry helps: a person fixes the setting. The worker refuses to start with
 * it; a rendition that meets it is not published.
 */
export class SigningCertificateError extends Error {
  override readonly name = 'SigningCertificateError';
  constructor(
    /** The setting (and its variable) or file at fault. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`Content Credentials: ${where}: ${problem}`);
  }
}

/** The C2PA library refused to sign this rendition: the same file fails the same way. */
export class ContentCredentialsError extends Error {
  override readonly name = 'ContentCredentialsError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(
      `Content Credentials could not be added to ${file}: ${problem}. Nothing was published unsigned; ` +
        'check `reelcast provenance show` on a rendition and the provenance.* settings, then start the post again.',
    );
  }
}

/**
 * The time-stamp authority (provenance.tsaUrl) did not answer, or answered with an error, while a
 * rendition was signed. Retried: an outage passes; nothing is published unsigned meanwhile.
 */
export class TimeStampUnavailableError extends Error {
  override readonly name = 'TimeStampUnavailableError';
  constructor(
    readonly tsa: string,
    readonly problem: string,
  ) {
    super(
      `Content Credentials: the time-stamp authority ${tsa} (provenance.tsaUrl, REELCAST_C2PA_TSA_URL) did not time-stamp the signature: ${problem}. ` +
        'The post is retried; if it stays down, set another authority or unset provenance.tsaUrl (signatures then carry no time-stamp).',
    );
  }
}

/** The signer process failed or could not start (Python missing, killed). Retryable on this or another worker. */
export class C2paServiceError extends Error {
  override readonly name = 'C2paServiceError';
  constructor(
    message: string,
    readonly kind = 'service',
  ) {
    super(message);
  }
}

/** Errors a retry cannot fix (see NON_RETRYABLE_MEDIA_ERRORS, which lists these too). */
export const NON_RETRYABLE_PROVENANCE_ERRORS = [
  'SigningCertificateError',
  'ContentCredentialsError',
] as const;
