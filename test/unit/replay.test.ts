import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Workflow changes must not break workflows already running: the recorded histories (made by
 * test/replay/record.ts with an earlier version) must replay without nondeterminism errors.
 * A change that fails here needs `patched()`.
 */
describe('workflow replay determinism', () => {
  const dir = join(__dirname, '..', 'replay', 'histories');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has recorded histories of every workflow type', () => {
    expect(files.sort()).toEqual([
      'daily-plan-paged-unplanned.json',
      'daily-plan-paged.json',
      'daily-plan-unplanned.json',
      'daily-plan.json',
      'post-approval-skipped.json',
      'post-expired.json',
      'post-held-rejected.json',
      'post-held-released.json',
      'post-notified.json',
      'post-one-decode.json',
      'post-published.json',
      'post-replay-handlers.json',
      'post-replayed.json',
      'post-signed.json',
      'post-skipped-late.json',
    ]);
  });

  it('replays every recorded history with the current workflow code', async () => {
    const histories = files.map((f) => ({
      workflowId: f,
      // The JSON the Temporal CLI and Web UI export; the SDK converts it.
      history: JSON.parse(readFileSync(join(dir, f), 'utf8')),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows') },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
