/**
 * One disclosure policy: the calendar's aiDisclosure decides the caption's last line, each
 * platform's AI label and the rendition's C2PA disclosure assertion, together or not at all.
 */
import type { PostSpec } from '../../../activities/calendar';
import {
  DISCLOSURE_ASSERTION,
  renditionManifest,
  TRAINED_ALGORITHMIC_MEDIA,
} from '../../../activities/provenance';
import { channelSpec } from '../../../activities/publish/channel-table';
import { calendarYaml, campaignYaml, makeFixture } from '../calendar/workspace-fixture';

function planned(head: string, more = ''): PostSpec {
  const fx = makeFixture({
    'test.yaml': calendarYaml(campaignYaml('promo', '      - dates: [2027-04-01]', more), {
      extra: head,
    }).replace('channels: [x]', 'channels: [x, reels, tiktok, shorts, outbox]'),
  });
  const plan = fx.plan('2027-04-01', '2027-04-01');
  expect(plan.problems).toEqual([]);
  return plan.posts[0] as PostSpec;
}

/** What each of the three places says about a post, read the way each consumer reads it. */
function whatIsShown(post: PostSpec) {
  type Manifest = { assertions: Array<{ label: string; data: { text?: string; actions?: unknown[] } }> };
  const manifest = renditionManifest({
    reelcastVersion: '0.0.0',
    preset: 'reels',
    title: 'r.mp4',
    aiDisclosure: post.aiDisclosure,
  }) as Manifest;
  return post.channels.map((channel) => ({
    channel,
    captionLine: post.captions[channel]!.split('\n\n').slice(1).pop(),
    platformLabel: channelSpec(channel).aiLabel ? post.publishing![channel]!.aiGenerated : undefined,
    c2paDisclosure: manifest.assertions.find((a) => a.label === DISCLOSURE_ASSERTION)?.data.text,
    c2paCreated: JSON.stringify(manifest.assertions[0].data.actions).includes(TRAINED_ALGORITHMIC_MEDIA),
  }));
}

test('a disclosing calendar: the caption line, every platform label and the C2PA assertion say it', () => {
  for (const shown of whatIsShown(planned('aiDisclosure: AI-generated video'))) {
    expect(shown).toEqual({
      channel: shown.channel,
      captionLine: 'AI-generated video',
      platformLabel: channelSpec(shown.channel).aiLabel ? true : undefined,
      c2paDisclosure: 'AI-generated video',
      c2paCreated: true,
    });
  }
});

test('a campaign that opts out: none of the three, while the C2PA created action still marks it AI-made', () => {
  for (const shown of whatIsShown(planned('aiDisclosure: AI-generated video', '    aiDisclosure: false'))) {
    expect(shown).toEqual({
      channel: shown.channel,
      captionLine: undefined,
      platformLabel: channelSpec(shown.channel).aiLabel ? false : undefined,
      c2paDisclosure: undefined,
      c2paCreated: true,
    });
  }
});

test('a campaign can word it its own way, and all three follow', () => {
  for (const shown of whatIsShown(
    planned('aiDisclosure: AI-generated video', '    aiDisclosure: Made with AI'),
  )) {
    expect([shown.captionLine, shown.c2paDisclosure]).toEqual(['Made with AI', 'Made with AI']);
  }
});
