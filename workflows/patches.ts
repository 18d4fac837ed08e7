/**
 * Workflow changes that running workflows must not notice, one id each, for `patched()`. A
 * history recorded before the change replays the old path; new runs take the new one. The
 * replay test (test/unit/replay.test.ts) replays histories of both. Remove an id (with
 * deprecatePatch first) only once no workflow that started before it can still be running.
 */
export const PATCHES = {
  /** post: a post planned past its lateness window skips before approval and generation. */
  skipLateBeforeGenerate: 'skip-late-before-generate',
  /** post: awaiting approval and failing (awaiting replay) notify the calendar's people. */
  notifyPeople: 'notify-people',
  /**
   * post: replay requests checked by a validator (refusals never enter history), one replay at a
   * time, completion waits for running handlers, and a post nobody replays ends `expired`.
   */
  replayHandlers: 'replay-handlers',
  /** dailyPlan: `unplanned` sent from the workflow with the typed signal; only "gone" is ignored. */
  unplannedTypedSignal: 'unplanned-typed-signal',
  /** post: the transcode gets the campaign's AI disclosure for the renditions' Content Credentials. */
  c2paDisclosure: 'c2pa-disclosure',
  /** post: the content gate runs beside the transcode; a clip over a threshold is held for a person. */
  contentGate: 'content-gate',
  /** post: one media activity makes every preset from one decode; shared encodes stored once. */
  oneDecodeMedia: 'one-decode-media',
  /**
   * dailyPlan: the day's specs go to storage in pages and activities start the posts with the
   * client, so no payload holds the whole day and the history stays small at thousands of posts.
   */
  planInPages: 'plan-in-pages',
} as const;
