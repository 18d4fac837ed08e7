import { XChannel } from '../../../activities/publish';
import type { ObjectStorage } from '../../../activities/storage';
import { FAKE_X_DEFAULTS } from '../../fakes/x/server';

/** The real X adapter, talking to the fake X at `url`, with waits short enough for tests. */
export function fakeXChannel(
  storage: ObjectStorage,
  url: string,
  overrides: Partial<ConstructorParameters<typeof XChannel>[0]> = {},
): XChannel {
  return new XChannel({
    storage,
    apiBaseUrl: url,
    credentials: { ...FAKE_X_DEFAULTS },
    reconcileWindowMs: 60_000,
    processingDeadlineMs: 10_000,
    retryBaseMs: 20,
    ...overrides,
  });
}
