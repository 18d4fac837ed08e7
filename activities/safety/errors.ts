/** What can go wrong in the content gate, as classes with a stable `name` (Temporal matches retry rules on it). */

/** The master cannot be read (missing, damaged, not a video): a retry reads the same bytes. */
export class MasterUnreadableError extends Error {
  override readonly name = 'MasterUnreadableError';
  constructor(
    readonly key: string,
    readonly detail: string,
  ) {
    super(
      `the content gate cannot read the master clip ${key}: ${detail}; generate it again (start the post again) or check the storage`,
    );
  }
}

export const NON_RETRYABLE_SAFETY_ERRORS = ['MasterUnreadableError'] as const;
