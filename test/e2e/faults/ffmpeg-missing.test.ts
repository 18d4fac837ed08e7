import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFailures } from '../../../cli/commands/failures';
import { postWorkflowId } from '../../../workflows/post';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  reelcast,
  startPost,
  startWorker,
  waitFor,
  waitForStage,
  freshClip,
} from '../support';

describe('ffmpeg missing on a media worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-no-ffmpeg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A GPU worker writes the masters with ffmpeg: it checks it too, before it loads its model.
  it.each(['media', 'gpu'])(
    'a worker without ffmpeg refuses the %s role at start, naming itself and the binary',
    async (role) => {
      const missing = join(dir, 'nowhere', 'ffmpeg');
      const env = e2eEnv(`no-ffmpeg-${role}`, { FFMPEG_PATH: missing });
      const result = await reelcast(env, ['worker', '--queues', `${role},publish`], 60_000);
      expect(result.status).not.toBe(0);
      const output = result.stdout + result.stderr;
      expect(output).toMatch(
        new RegExp(`this worker \\(\\d+@${hostname()}\\) cannot serve the ${role} queue`),
      );
      expect(output).toContain(JSON.stringify(missing));
      expect(output).toContain('FFMPEG_PATH');
      expect(output).toContain('reelcast worker --queues publish');
    },
    90_000,
  );

  it('ffmpeg gone from a running worker: the post stops at once with the worker and binary in `reelcast failures`', async () => {
    // The worker starts with a working ffmpeg (a link to it), which then disappears.
    const ffmpeg = join(dir, 'ffmpeg');
    symlinkSync(execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim(), ffmpeg);
    const env = e2eEnv('no-ffmpeg-run');
    const config = e2eConfig(env);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = freshClip(quick(planned, 30, { channels: ['outbox'] }));
    // Generation (which writes the master with ffmpeg too) and publishing on a healthy worker.
    const others = await startWorker(config, ['gpu', 'publish']);
    const media = await startWorker(e2eConfig({ ...env, FFMPEG_PATH: ffmpeg }), ['media']);
    const client = await connectClient(config);
    try {
      rmSync(ffmpeg);
      await startPost(client, config, { spec });
      const state = await waitForStage(
        client,
        spec.postId,
        ['published', 'awaiting-replay', 'skipped'],
        120_000,
      );
      const identity = `${process.pid}@${hostname()}`;
      expect(state.stage).toBe('awaiting-replay');
      expect(state.reason).toContain(`media worker ${identity}`);
      expect(state.reason).toContain(`ffmpeg at ${JSON.stringify(ffmpeg)} cannot be used`);

      // Not a retry storm: one attempt, then the post stopped.
      const history = await client.workflow.getHandle(postWorkflowId(spec.postId)).fetchHistory();
      const transcodes = (history.events ?? []).filter((e) =>
        /^transcodeRenditions?$/.test(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
      );
      const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
      expect(transcodes).toHaveLength(1);
      expect(Math.max(...attempts)).toBe(1);

      // What a person sees in `reelcast failures`.
      const row = await waitFor('the post in the failures list', async () =>
        (await listFailures(client, { campaign: spec.campaign })).find((r) => r.postId === spec.postId),
      );
      expect(row.reason).toContain(`media worker ${identity}`);
      const cli = await reelcast(env, ['failures', '--campaign', spec.campaign]);
      expect(cli.stdout).toContain(spec.postId);
      expect(cli.stdout).toContain(`ffmpeg at ${JSON.stringify(ffmpeg)}`);
    } finally {
      await client.workflow
        .getHandle(postWorkflowId(spec.postId))
        .terminate('test over')
        .catch(() => {});
      await Promise.all([media.stop(), others.stop()]);
      await client.connection.close();
    }
  }, 180_000);
});
