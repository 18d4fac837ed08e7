import { loadWorkspace, planWorkspace, type PostSpec } from '../../../activities/calendar';
import { CHANNEL_TABLE } from '../../../activities/publish/channel-table';
import { calendarYaml, campaignYaml, makeFixture } from './workspace-fixture';

/** A calendar posting to every channel with an account, and one campaign on 2027-04-01. */
function plannedWith(head: string, more = '', templates: Record<string, string> = {}) {
  const fx = makeFixture(
    {
      'test.yaml': calendarYaml(campaignYaml('promo', '      - dates: [2027-04-01]', more), {
        extra: head,
      }).replace('channels: [x]', 'channels: [x, reels, tiktok, shorts, outbox]'),
    },
    templates,
  );
  const plan = fx.plan('2027-04-01', '2027-04-01');
  return { fx, plan, post: plan.posts[0] as PostSpec };
}

describe('how each channel publishes a post (PostSpec.publishing)', () => {
  test('without settings: the default account and the channel table’s defaults, no AI label without disclosure', () => {
    const { plan, post } = plannedWith('');
    expect(plan.problems).toEqual([]);
    expect(post.publishing).toEqual({
      x: { account: 'default', aiGenerated: false, options: {} },
      reels: { account: 'default', aiGenerated: false, options: { instagram: { shareToFeed: true } } },
      tiktok: {
        account: 'default',
        aiGenerated: false,
        options: { tiktok: CHANNEL_TABLE.tiktok.defaults.tiktok },
      },
      shorts: {
        account: 'default',
        aiGenerated: false,
        options: { youtube: { title: 'Spring is here #spring', ...CHANNEL_TABLE.shorts.defaults.youtube } },
      },
      outbox: { account: 'default', aiGenerated: false, options: {} },
    });
  });

  test('a campaign’s accounts and settings replace the calendar’s one by one', () => {
    const { plan, post } = plannedWith(
      [
        'accounts: { x: brand, tiktok: us-main, shorts: us-brand }',
        'tiktok: { privacy: PUBLIC_TO_EVERYONE, comments: true }',
        'youtube: { privacy: unlisted, categoryId: 26, tags: [spring] }',
        'instagram: { shareToFeed: false }',
      ].join('\n'),
      [
        '    accounts: { tiktok: us-promo }',
        '    tiktok: { duet: true, brandOrganic: true }',
        '    youtube: { madeForKids: true }',
      ].join('\n'),
    );
    expect(plan.problems).toEqual([]);
    expect(post.publishing?.x?.account).toBe('brand');
    expect(post.publishing?.reels).toEqual({
      account: 'default',
      aiGenerated: false,
      options: { instagram: { shareToFeed: false } },
    });
    expect(post.publishing?.tiktok).toMatchObject({
      account: 'us-promo',
      options: {
        tiktok: {
          privacyLevel: 'PUBLIC_TO_EVERYONE',
          disableComment: false,
          disableDuet: false,
          disableStitch: true,
          brandOrganicToggle: true,
        },
      },
    });
    expect(post.publishing?.shorts).toMatchObject({
      account: 'us-brand',
      options: {
        youtube: { privacyStatus: 'unlisted', categoryId: '26', tags: ['spring'], madeForKids: true },
      },
    });
  });

  test('one disclosure policy: the caption line and the AI label together, or neither', () => {
    const disclosed = plannedWith('aiDisclosure: AI-generated video').post;
    expect(disclosed.captions.tiktok).toBe('Spring is here #spring\n\nAI-generated video');
    for (const channel of disclosed.channels) expect(disclosed.publishing?.[channel]?.aiGenerated).toBe(true);
    // The YouTube title is the caption's first line, not the disclosure.
    expect(disclosed.publishing?.shorts?.options.youtube?.title).toBe('Spring is here #spring');

    const optedOut = plannedWith('aiDisclosure: AI-generated video', '    aiDisclosure: false').post;
    expect(optedOut.captions.tiktok).toBe('Spring is here #spring');
    for (const channel of optedOut.channels) expect(optedOut.publishing?.[channel]?.aiGenerated).toBe(false);
  });

  test('the YouTube title comes from title.hbs when the template has one', () => {
    const { plan, post } = plannedWith('', '', {
      'promo/title.hbs': '{{headline}} on {{formatDate "LLL d"}}',
    });
    expect(plan.problems).toEqual([]);
    expect(post.publishing?.shorts?.options.youtube?.title).toBe('Spring is here on Apr 1');
  });

  test('a caption problem names the slot in the calendar as well as the template', () => {
    const { fx, plan } = plannedWith('', '', { 'promo/caption.hbs': '{{headline}} <b>now</b>' });
    const problem = plan.problems.find((p) => p.name === 'CaptionRuleError')!;
    expect(problem.file).toBe(fx.shown('templates/promo/caption.hbs'));
    expect(problem.message).toContain(`(slot "noon", ${fx.shown('calendars/test.yaml')}:11)`);
  });
});

describe('accounts nobody connected (the token store’s hook)', () => {
  const calendar = calendarYaml(
    campaignYaml('promo', '      - dates: [2027-04-01]', '    accounts: { tiktok: us-promo }'),
    { extra: 'accounts: { x: brand }' },
  ).replace('channels: [x]', 'channels: [x, tiktok, reels, outbox]');

  test('each unconnected account is an error at the line that names it, with the command to connect it', () => {
    const fx = makeFixture({ 'test.yaml': calendar });
    const connected = new Set(['x/default', 'instagram/default']);
    const ws = loadWorkspace({
      calendarsDir: fx.calendarsDir,
      templatesDir: fx.templatesDir,
      isAccountConnected: (platform, account) => connected.has(`${platform}/${account}`),
    });
    const problems = planWorkspace(ws, '2027-04-01', '2027-04-01').problems.map(
      (p) => `${p.name} ${p.line}:${p.col} ${p.message}`,
    );
    expect(problems).toEqual([
      'UnknownAccountError 4:16 campaign "promo" posts to x as x account "brand", which nobody has connected; connect it (`reelcast channels connect x --account brand`) or name a connected account under accounts:',
      'UnknownAccountError 19:25 campaign "promo" posts to tiktok as tiktok account "us-promo", which nobody has connected; connect it (`reelcast channels connect tiktok --account us-promo`) or name a connected account under accounts:',
    ]);
  });

  test('without the hook, accounts are not checked', () => {
    expect(makeFixture({ 'test.yaml': calendar }).plan('2027-04-01', '2027-04-01').problems).toEqual([]);
  });
});
