import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import {
  checkAccountName,
  DEFAULT_ACCOUNT,
  isPlatform,
  PLATFORMS,
  type Platform,
} from '../../activities/publish/accounts';
import {
  accountStatuses,
  connectAccount,
  DEFAULT_REDIRECT_PORT,
  oauthProviderFor,
  TokenStore,
  xAccountTokens,
  type AccountStatus,
} from '../../activities/publish/tokens';
import {
  CHANNEL_NAMES,
  CHANNEL_TABLE,
  type ChannelSpec,
  type TextCounting,
  type TextRules,
} from '../../activities/publish/channel-table';
import { openStorage } from '../../activities/storage';
import type { ReelcastConfig } from '../../config';
import { commandConfig, say } from '../context';

function platformArg(name: string): Platform {
  if (!isPlatform(name)) throw new Error(`unknown platform ${name}: use one of ${PLATFORMS.join(', ')}`);
  return name;
}

function openStore(config: ReelcastConfig): TokenStore {
  return TokenStore.open(config, openStorage(config));
}

function when(iso: string | undefined, none = '-'): string {
  return iso ? iso.replace(/\.\d{3}Z$/, 'Z') : none;
}

/** Best effort: the person can always open the printed URL themselves. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Two lines (token, then secret), or X_ACCESS_TOKEN=… and X_ACCESS_SECRET=… lines. */
export function parseXCredentials(text: string): { accessToken: string; accessSecret: string } | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const named = Object.fromEntries(
    lines.map((l) => /^([A-Z_]+)\s*=\s*(.*)$/.exec(l)).flatMap((m) => (m ? [[m[1], m[2]]] : [])),
  ) as Record<string, string>;
  const accessToken = named.X_ACCESS_TOKEN ?? (lines.length === 2 ? lines[0] : undefined);
  const accessSecret = named.X_ACCESS_SECRET ?? (lines.length === 2 ? lines[1] : undefined);
  return accessToken && accessSecret ? { accessToken, accessSecret } : undefined;
}

interface ConnectOpts {
  account: string;
  port: string;
  open: boolean;
  scopes?: string;
  timeout: string;
  accessToken?: string;
  accessSecret?: string;
  verify: boolean;
}

async function connectX(config: ReelcastConfig, store: TokenStore, opts: ConnectOpts): Promise<void> {
  const account = checkAccountName(opts.account);
  let user: { accessToken: string; accessSecret: string } | undefined;
  if (opts.accessToken || opts.accessSecret) {
    if (!opts.accessToken || !opts.accessSecret)
      throw new Error('give both --access-token and --access-secret, or neither and pipe them on stdin');
    say('note: flags stay in the shell history; piping the tokens on stdin avoids that');
    user = { accessToken: opts.accessToken, accessSecret: opts.accessSecret };
  } else {
    if (process.stdin.isTTY)
      say("Paste the account's access token and access token secret (one per line), then Ctrl-D:");
    user = parseXCredentials(await readStdin());
    if (!user)
      throw new Error(
        'no X credentials on stdin: give the access token and its secret on two lines (or X_ACCESS_TOKEN=… and X_ACCESS_SECRET=… lines)',
      );
  }
  let remote: { id: string; username: string } | undefined;
  if (opts.verify) {
    const x = config.channels.x;
    if (!x.appKey || !x.appSecret)
      throw new Error('set X_APP_KEY and X_APP_SECRET (the app the tokens belong to), or pass --no-verify');
    const { XChannel } = await import('../../activities/publish/x');
    const client = new XChannel({
      storage: store.storage,
      apiBaseUrl: x.apiBaseUrl,
      credentials: { appKey: x.appKey.reveal(), appSecret: x.appSecret.reveal(), ...user },
      reconcileWindowMs: 0,
      processingDeadlineMs: 0,
    }).client;
    try {
      remote = (await client.v2.me()).data;
    } catch (err) {
      const code = (err as { code?: number }).code;
      throw new Error(
        `X refused these credentials${code ? ` (HTTP ${code})` : ''}: check the access token and secret belong to the app in X_APP_KEY and have Read and Write permission`,
      );
    }
  }
  await store.save(xAccountTokens(account, user, remote, new Date()));
  process.stdout.write(
    `connected x account ${account}${remote ? ` (@${remote.username}, id ${remote.id})` : ' (not verified)'}\n`,
  );
  if (account === DEFAULT_ACCOUNT && config.channels.x.accessToken)
    say(
      'note: X_ACCESS_TOKEN and X_ACCESS_SECRET are set, and they define the default account, not the store',
    );
}

function describeConnected(t: {
  platform: string;
  account: string;
  remoteAccountName?: string;
  remoteAccountId?: string;
  scopes: string[];
  expiresAt?: string;
  refreshExpiresAt?: string;
  hasRefresh: boolean;
}): string {
  const remote = t.remoteAccountName
    ? `${t.remoteAccountName}${t.remoteAccountId ? ` (${t.remoteAccountId})` : ''}`
    : (t.remoteAccountId ?? '(the platform did not say)');
  const refresh = !t.hasRefresh
    ? 'none given'
    : t.refreshExpiresAt
      ? `expires ${when(t.refreshExpiresAt)}`
      : 'no expiry given';
  return [
    `connected ${t.platform} account ${t.account}`,
    `  remote account: ${remote}`,
    `  scopes:         ${t.scopes.join(' ') || '-'}`,
    `  access token:   ${t.expiresAt ? `expires ${when(t.expiresAt)}` : 'no expiry given'} (Reelcast refreshes it when due)`,
    `  refresh token:  ${refresh}`,
    '',
  ].join('\n');
}

function stateText(a: AccountStatus): string {
  switch (a.state) {
    case 'ok':
      return 'ok';
    case 'expiring':
      return `expiring ${when(a.expiringAt)}`;
    case 'needs-reconnect':
      return 'needs reconnect';
    case 'unreadable':
      return 'unreadable';
  }
}

const COUNTING: Record<TextCounting, string> = {
  'x-weighted': 'weighted: CJK and emoji 2, a link 23',
  'code-points': 'characters',
  utf16: 'UTF-16 units: an emoji 2',
  'utf8-bytes': 'UTF-8 bytes: CJK 3',
};

function textRule(rules: TextRules | undefined): string {
  if (!rules) return '-';
  const parts = [`≤ ${rules.maxLength.toLocaleString('en-US')} (${COUNTING[rules.counting]})`];
  if (rules.maxHashtags !== undefined) parts.push(`≤ ${rules.maxHashtags} hashtags`);
  if (rules.maxMentions !== undefined) parts.push(`≤ ${rules.maxMentions} @mentions`);
  if (rules.forbidden) parts.push(`no ${[...rules.forbidden].join(' ')}`);
  return parts.join(', ').replace(/[<>]/g, (c) => `\\${c}`);
}

/** The channel table as Markdown (`reelcast channels rules`; the README embeds this output). */
export function channelRulesMarkdown(): string {
  const rows = CHANNEL_NAMES.map((name) => {
    const c = CHANNEL_TABLE[name] as ChannelSpec;
    const v = c.video;
    const video = [
      v.minSeconds !== undefined || v.maxSeconds !== undefined
        ? `${v.minSeconds ?? 0}–${v.maxSeconds ?? '∞'} s`
        : '',
      `≤ ${v.maxBytes / 1024 / 1024 >= 1024 ? `${v.maxBytes / 1024 / 1024 / 1024} GB` : `${v.maxBytes / 1024 / 1024} MB`}`,
      v.maxFps ? `≤ ${v.maxFps} fps` : '',
    ].filter(Boolean);
    const defaults = Object.values(c.defaults)
      .flatMap((o) => Object.entries(o as Record<string, unknown>))
      .map(([k, val]) => `${k} ${Array.isArray(val) ? `[${val.join(', ')}]` : String(val)}`)
      .join(', ');
    return `| \`${name}\` | ${c.platform === 'none' ? '-' : c.platform} | \`${c.preset}\` | ${textRule(c.caption)} | ${textRule(c.title)} | ${video.join(', ')} | ${c.aiLabel ? `\`${c.aiLabel}\`` : '- (the caption line)'} | ${defaults || '-'} |`;
  });
  return [
    '| channel | platform | rendition | caption | title | video | AI label | defaults |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function register(program: Command): void {
  const channels = program
    .command('channels')
    .description('connect, list and disconnect the accounts Reelcast publishes to; the channel rules');

  channels
    .command('rules')
    .description("each channel's rendition, caption and video limits, AI label and default settings")
    .action(() => void process.stdout.write(`${channelRulesMarkdown()}\n`));

  channels
    .command('connect')
    .argument('<platform>', PLATFORMS.join('|'))
    .requiredOption('--account <name>', 'the account name calendars use (letters, digits, - and _)')
    .option(
      '--port <n>',
      `loopback port for the sign-in redirect (http://127.0.0.1:<port>/callback; 0: any free port)`,
      String(DEFAULT_REDIRECT_PORT),
    )
    .option('--no-open', 'print the sign-in URL without opening a browser')
    .option('--scopes <list>', 'comma-separated scopes to ask for instead of the defaults')
    .option('--timeout <seconds>', 'how long to wait for the sign-in', '300')
    .option('--access-token <token>', 'x only: the OAuth 1.0a access token (else read from stdin)')
    .option('--access-secret <secret>', 'x only: the OAuth 1.0a access token secret')
    .option('--no-verify', 'x only: store without asking X whose tokens they are')
    .description(
      'connect an account: a browser sign-in (OAuth 2 with PKCE) for tiktok, youtube and instagram; OAuth 1.0a user tokens for x',
    )
    .action(async (name: string, opts: ConnectOpts) => {
      const platform = platformArg(name);
      const account = checkAccountName(opts.account);
      const config = commandConfig();
      const store = openStore(config);
      if (platform === 'x') return connectX(config, store, opts);
      const port = Number(opts.port);
      const seconds = Number(opts.timeout);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port ${opts.port}: expected 0-65535`);
      if (!(seconds > 0)) throw new Error(`--timeout ${opts.timeout}: expected seconds > 0`);
      const tokens = await connectAccount({
        store,
        provider: oauthProviderFor(platform, config),
        account,
        port,
        timeoutMs: seconds * 1000,
        scopes: opts.scopes
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        onUrl: (url, redirectUri) => {
          say(
            `Open this URL in a browser and allow access for ${platform} account ${account}:\n\n  ${url}\n`,
          );
          say(`Waiting for the sign-in to come back to ${redirectUri} …`);
          if (opts.open) openBrowser(url);
        },
      });
      process.stdout.write(describeConnected({ ...tokens, hasRefresh: !!tokens.refreshToken }));
      if (!store.encrypts)
        say(
          'warning: tokens are stored unencrypted; set REELCAST_TOKEN_KEY (see `reelcast channels status`)',
        );
    });

  channels
    .command('status')
    .option('--json', 'machine-readable output')
    .description('every connected account: remote name, scopes, token expiry, state, last post, posts today')
    .action(async (opts: { json?: boolean }) => {
      const config = commandConfig();
      const status = await accountStatuses(config, openStore(config));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      for (const w of status.warnings) say(`warning: ${w}`);
      if (status.accounts.length === 0) {
        say('no accounts connected: run `reelcast channels connect <platform> --account <name>`');
        return;
      }
      const rows = status.accounts.map((a) => [
        `${a.platform}/${a.account}`,
        a.remoteAccountName ?? (a.source === 'environment' ? '(X_ACCESS_TOKEN)' : '-'),
        stateText(a),
        when(a.expiresAt),
        when(a.refreshExpiresAt),
        when(a.lastPostAt),
        String(a.postsToday),
        a.scopes.join(' ') || '-',
      ]);
      const head = [
        'ACCOUNT',
        'REMOTE',
        'STATE',
        'TOKEN EXPIRES',
        'REFRESH EXPIRES',
        'LAST POST',
        'TODAY',
        'SCOPES',
      ];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows])
        process.stdout.write(
          `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`,
        );
      for (const a of status.accounts) {
        if (a.state === 'needs-reconnect')
          process.stdout.write(
            `${a.platform}/${a.account}: needs reconnect (${a.reason}): run \`${a.fix}\`\n`,
          );
        if (a.state === 'unreadable') process.stdout.write(`${a.platform}/${a.account}: ${a.reason}\n`);
        if (a.state === 'expiring')
          process.stdout.write(
            `${a.platform}/${a.account}: stops working at ${when(a.expiringAt)} unless it posts or is reconnected: \`${a.fix}\`\n`,
          );
      }
      say(
        status.encrypted
          ? 'tokens are encrypted at rest (REELCAST_TOKEN_KEY)'
          : 'tokens are NOT encrypted at rest',
      );
    });

  channels
    .command('disconnect')
    .argument('<platform>', PLATFORMS.join('|'))
    .requiredOption('--account <name>', 'the account name')
    .description("forget an account's tokens (access stays granted at the platform until revoked there)")
    .action(async (name: string, opts: { account: string }) => {
      const platform = platformArg(name);
      const account = checkAccountName(opts.account);
      const removed = await openStore(commandConfig()).remove(platform, account);
      if (!removed)
        throw new Error(`${platform} account ${account} is not connected; see \`reelcast channels status\``);
      say(
        `disconnected ${platform} account ${account}: its tokens are deleted. To revoke Reelcast's access at ${platform} too, remove the app in the account's settings there.`,
      );
    });
}
