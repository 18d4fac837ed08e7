import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishLedger } from '../../../activities/publish';
import { openStorage } from '../../../activities/storage';
import { postWorkflowId } from '../../../workflows/post';
import type { Client } from '@temporalio/client';
import type { ReelcastConfig } from '../../../config';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  spawnWorker,
  startPost,
  startWorker,
  waitFor,
  waitForStage,
  freshClip,
} from '../support';

/**
 * A full volume is a small tmpfs this test mounts (root only). Where mounting is not allowed the
 * test says so and why, and checks nothing: a skip that cannot be missed in the output.
 */
function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch {
    // not mounted
  }
}

/** Fills the volume under `dir` with one file until it is full; returns the file. */
function fill(dir: string): string {
  const file = join(dir, 'filler.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

/** The message of the last failed attempt of the post's running activity, once there is one. */
async function lastFailure(client: Client, postId: string): Promise<string | undefined> {
  const description = await client.workflow.getHandle(postWorkflowId(postId)).describe();
  return (
    description.raw.pendingActivities?.find((a) => a.lastFailure?.message)?.lastFailure?.message ?? undefined
  );
}

/** Once space is freed: the post published, recorded once in the ledger, with no failure left. */
async function expectPublishedOnce(client: Client, config: ReelcastConfig, postId: string): Promise<void> {
  const state = await waitForStage(client, postId, ['published', 'awaiting-replay', 'skipped'], 120_000);
  expect({ stage: state.stage, reason: state.reason }).toEqual({ stage: 'published', reason: undefined });
  const ledger = await new PublishLedger(openStorage(config)).list({ postId });
  expect(ledger.entries.map((e) => [e.channel, e.state])).toEqual([['outbox', 'published']]);
  expect(ledger.failures).toEqual([]);
}

const root = mkdtempSync(join(tmpdir(), 'reelcast-disk-full-'));
const probe = join(root, 'probe');
const cannotMount = mountTmpfs(probe, '1m');
unmount(probe);
if (cannotMount) {
  process.stderr.write(
    `\n*** SKIPPED: the disk-full fault tests need to mount a small tmpfs (as root), and mount said: ${cannotMount}\n\n`,
  );
}
const needsMount = cannotMount ? it.skip : it;

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a full disk', () => {
  needsMount(
    'local storage full: the error says the disk is full, where and what to change; the post finishes once space frees',
    async () => {
      const volume = join(root, 'data');
      expect(mountTmpfs(volume, '24m')).toBeUndefined();
      const env = e2eEnv('disk-full-storage', { REELCAST_STORAGE: 'fs', REELCAST_DATA_DIR: volume });
      const config = e2eConfig(env);
      const [planned] = await plannedPosts(config, '2026-11-27');
      const spec = freshClip(quick(planned, 20, { channels: ['outbox'] }));
      mkdirSync(join(volume, 'storage'), { recursive: true });
      const filler = fill(volume);
      const worker = await startWorker(config);
      const client = await connectClient(config);
      try {
        await startPost(client, config, { spec });
        const message = await waitFor(
          'an attempt to fail for want of space',
          () => lastFailure(client, spec.postId),
          120_000,
        );
        expect(message).toContain('the disk is full');
        expect(message).toContain(join(volume, 'storage'));
        expect(message).toContain('REELCAST_DATA_DIR');
        expect(
          (await client.workflow.getHandle(postWorkflowId(spec.postId)).query('postState')) as object,
        ).toMatchObject({
          stage: 'generating',
        });

        rmSync(filler);
        await expectPublishedOnce(client, config, spec.postId);
        expect(
          existsSync(join(volume, 'storage', 'outbox', ...spec.postId.split('/'), 'outbox', 'post.json')),
        ).toBe(true);
      } finally {
        await worker.stop();
        await client.connection.close();
        unmount(volume);
      }
    },
    240_000,
  );

  needsMount(
    "the media worker's temporary folder full: the error names it and TMPDIR; the post finishes once space frees",
    async () => {
      const volume = join(root, 'tmp');
      expect(mountTmpfs(volume, '8m')).toBeUndefined();
      const env = e2eEnv('disk-full-tmp');
      const config = e2eConfig(env);
      const [planned] = await plannedPosts(config, '2026-11-27');
      const spec = freshClip(quick(planned, 20, { channels: ['outbox'] }));
      const filler = fill(volume);
      // Generation and publishing here; ffmpeg in a media worker whose temporary folder is full.
      const others = await startWorker(config, ['gpu', 'publish']);
      const media = spawnWorker({ ...env, TMPDIR: volume }, ['media']);
      const client = await connectClient(config);
      try {
        await startPost(client, config, { spec });
        const message = await waitFor(
          'a transcode attempt to fail for want of space',
          () => lastFailure(client, spec.postId),
          120_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message}\nmedia worker log:\n${media.log()}`);
        });
        expect(message).toContain('the disk is full');
        expect(message).toContain(volume);
        expect(message).toContain('TMPDIR');

        rmSync(filler);
        await expectPublishedOnce(client, config, spec.postId);
      } finally {
        media.kill('SIGTERM');
        if (media.exitCode === null) await new Promise((r) => media.once('exit', r));
        await others.stop();
        await client.connection.close();
        unmount(volume);
      }
    },
    240_000,
  );
});
