/** A calendar asks for e-mail but no SMTP server is configured: a retry cannot fix it. */
export class NotifyNotConfiguredError extends Error {
  override readonly name = 'NotifyNotConfiguredError';
}

/** For the workflow's retry policy (workflow code imports this file, so it stays pure). */
export const NON_RETRYABLE_NOTIFY_ERRORS = ['NotifyNotConfiguredError'] as const;
