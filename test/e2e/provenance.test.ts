/**
 * Content Credentials through the real pipeline: `reelcast provenance init` makes the team's CA,
 * a real worker (dev server, S3, the demo model, ffmpeg, the C2PA signer process) makes and
 * publishes a post to the outbox, and an independent reader (c2pa-python's Reader, not Reelcast's
 * code) validates every delivered rendition under that CA. Bad certificates stop the worker;
 * a certificate that lapses before the transcode publishes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '../../activities/media';
import { isFastStart, readX264Settings, topLevelBoxes } from '../../activities/media/mp4-boxes';
import { probeRendition } from '../../activities/media/probe';
import { renditionProblems } from '../../activities/media/validate';
import { DISCLOSURE_ASSERTION } from '../../activities/provenance';
import { presetFor } from '../../activities/publish/channel-table';
import { openStorage } from '../../activities/storage';
import { actionsOf, readContentCredentials, TRAINED_ALGORITHMIC_MEDIA } from '../harness/c2pa';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  reelcast,
  spawnWorker,
  startPost,
  startWorker,
  terminatePosts,
  waitForStage,
} from './support';

const dir = mkdtempSync(join(tmpdir(), 'reelcast-e2e-provenance-'));
const DATE = '2026-11-27'; // the US calendar discloses: "AI-generated video"

async function init(out: string, days = '30'): Promise<Record<string, string>> {
  const made = await reelcast(process.env as Record<string, string>, [
    'provenance',
    'init',
    '--out',
    out,
    '--days',
    days,
  ]);
  expect(made).toMatchObject({ status: 0 });
  expect(made.stdout).toMatch(
    /only trust\s+Content Credentials whose certificate chains to a CA on the C2PA trust list/,
  );
  const setting = (name: string) => new RegExp(`${name}=(\\S+)`).exec(made.stdout)![1];
  return {
    REELCAST_C2PA_CERT_CHAIN_FILE: setting('REELCAST_C2PA_CERT_CHAIN_FILE'),
    REELCAST_C2PA_PRIVATE_KEY_FILE: setting('REELCAST_C2PA_PRIVATE_KEY_FILE'),
    REELCAST_C2PA_SIGNING: 'required',
  };
}

describe('signed renditions through the real pipeline', () => {
  const postIds: string[] = [];
  let team: Record<string, string>;

  beforeAll(async () => {
    team = await init(join(dir, 'team'));
  });

  it('every delivered rendition validates under the team CA, says AI-generated, carries the disclosure and meets its preset', async () => {
    const env = e2eEnv('provenance', team);
    const config = e2eConfig(env);
    const storage = openStorage(config);
    const worker = await startWorker(config);
    const client = await connectClient(config);
    try {
      const spec = (await plannedPosts(config, DATE)).find((s) => s.calendar === 'us-ecommerce')!;
      expect(spec.aiDisclosure).toBe('AI-generated video');
      // The calendar's label policy, on the default accounts.
      const publishing = Object.fromEntries(
        spec.channels.map((c) => [c, { ...spec.publishing![c]!, account: 'default' }]),
      );
      const post = quick(spec, 15, { publishing });
      expect(post.channels.length).toBeGreaterThan(1);
      postIds.push(post.postId);
      await startPost(client, config, { spec: post });
      const state = await waitForStage(client, post.postId, ['published', 'awaiting-replay']);
      expect({ stage: state.stage, reason: state.reason }).toEqual({ stage: 'published', reason: undefined });

      for (const channel of post.channels) {
        const at = `outbox/${post.postId}/${channel}`;
        const file = join(dir, `${channel}.mp4`);
        writeFileSync(file, await storage.getBuffer(`${at}/video.mp4`));
        const read = await readContentCredentials(file, join(dir, 'team', 'ca.pem'));
        expect({ channel, state: read.state }).toEqual({ channel, state: 'Trusted' });
        expect(actionsOf(read)['c2pa.created']).toMatchObject({
          digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
          softwareAgent: { name: 'Reelcast', model: 'reelcast-demo-tiny-ti2v-v1' },
        });
        expect(actionsOf(read)['c2pa.transcoded']).toBeDefined();
        // One policy: the caption's last line, the platform label and the manifest agree.
        const delivered = JSON.parse((await storage.getBuffer(`${at}/post.json`)).toString('utf8')) as {
          caption: string;
          aiGenerated?: boolean;
        };
        const disclosure = read.manifest?.assertions?.find((a) => a.label === DISCLOSURE_ASSERTION)?.data;
        expect(disclosure?.text).toBe('AI-generated video');
        expect(delivered.caption.endsWith(`\n\n${disclosure?.text}`)).toBe(true);
        expect(delivered.aiGenerated).toBe(true);
        // The signed file is the validated one: the preset's checks pass on what was delivered.
        const preset = PRESETS[presetFor(channel)];
        const boxes = await topLevelBoxes(file);
        const problems = renditionProblems(
          {
            summary: await probeRendition(file, { ffprobePath: config.ffmpeg.ffprobePath }),
            fastStart: isFastStart(boxes),
            x264: await readX264Settings(file, boxes),
          },
          preset,
        );
        expect({ channel, problems }).toEqual({ channel, problems: [] });
      }

      // `reelcast provenance show <postId>` reads the same renditions from storage.
      const shown = await reelcast(env, [
        'provenance',
        'show',
        post.postId,
        '--trust',
        join(dir, 'team', 'ca.pem'),
      ]);
      expect(shown).toMatchObject({ status: 0 });
      expect(shown.stdout).toMatch(/validation\s+Trusted/);
      expect(shown.stdout).toMatch(/c2pa\.created \(AI-generated: trainedAlgorithmicMedia\) by Reelcast/);
      expect(shown.stdout).toContain('disclosure  "AI-generated video"');
    } finally {
      await terminatePosts(client, postIds);
      await client.connection.close();
      await worker.stop();
    }
  });

  it('a worker whose key does not belong to its certificate refuses to start, naming the setting', async () => {
    const other = await init(join(dir, 'other'));
    const env = e2eEnv('provenance-badkey', {
      ...team,
      REELCAST_C2PA_PRIVATE_KEY_FILE: other.REELCAST_C2PA_PRIVATE_KEY_FILE,
    });
    const child = spawnWorker(env, ['media']);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    expect(child.log()).toMatch(
      /provenance\.privateKey \(REELCAST_C2PA_PRIVATE_KEY.*does not belong to the signing certificate/,
    );
    expect(child.log()).not.toMatch(/BEGIN .*PRIVATE KEY/);
  });

  it('an expired certificate, or none while signing is required, stops the worker with what to do', async () => {
    const expired = await init(join(dir, 'expired'), '0.00001'); // under a second
    await new Promise((r) => setTimeout(r, 1500));
    await expect(startWorker(e2eConfig(e2eEnv('provenance-expired', expired)), ['media'])).rejects.toThrow(
      /provenance\.certificateChain.*expired on .*renew it/,
    );
    await expect(
      startWorker(e2eConfig(e2eEnv('provenance-none', { REELCAST_C2PA_SIGNING: 'required' })), ['media']),
    ).rejects.toThrow(/no certificate is set.*reelcast provenance init/);
  });

  it('a certificate that lapses before the transcode publishes nothing: the post awaits replay with the reason', async () => {
    const lapsing = await init(join(dir, 'lapsing'), '0.0002'); // about 17 seconds
    const notAfter = Date.now() + 17_000;
    const env = e2eEnv('provenance-lapse', lapsing);
    const config = e2eConfig(env);
    const storage = openStorage(config);
    const worker = await startWorker(config);
    const client = await connectClient(config);
    try {
      await new Promise((r) => setTimeout(r, Math.max(0, notAfter - Date.now()) + 1000));
      const spec = (await plannedPosts(config, DATE))[0];
      const post = quick(spec, 10, { channels: ['outbox'] });
      postIds.push(post.postId);
      await startPost(client, config, { spec: post });
      const state = await waitForStage(client, post.postId, ['published', 'awaiting-replay']);
      expect(state.stage).toBe('awaiting-replay');
      expect(state.reason).toMatch(
        /could not make the video: Content Credentials: provenance\.certificateChain.*expired/,
      );
      const delivered: string[] = [];
      for await (const o of storage.list(`outbox/${post.postId}/`)) delivered.push(o.key);
      expect(delivered).toEqual([]);
    } finally {
      await terminatePosts(client, postIds);
      await client.connection.close();
      await worker.stop();
    }
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
