import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAccountName, type AccountTokens, type OAuthProvider } from '../accounts';
import { tokensFromGrant } from './grant';
import { pkcePair, randomState } from './oauth2';
import { DEFAULT_SCOPES } from './providers';
import type { TokenStore } from './store';

/** The redirect port `reelcast channels connect` listens on unless told another (0: any free). */
export const DEFAULT_REDIRECT_PORT = 8765;
export const REDIRECT_PATH = '/callback';

export interface ConnectOptions {
  store: TokenStore;
  provider: OAuthProvider;
  account: string;
  /** Default: the provider's defaultScopes, else DEFAULT_SCOPES. */
  scopes?: string[];
  /** Loopback port for the redirect; must match the redirect URI registered with the platform. */
  port?: number;
  timeoutMs?: number;
  /** Called with the URL the person opens, once the listener is ready. */
  onUrl: (url: string, redirectUri: string) => void | Promise<void>;
  now?: () => Date;
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

/**
 * Connects an account with the OAuth 2 authorization code flow for native apps (RFC 8252): a
 * listener on 127.0.0.1 receives the redirect, the random `state` ties it to this attempt, PKCE
 * ties the code to this process, and the code is exchanged and the tokens stored before the
 * browser is told it worked. A redirect with another state is refused and the wait goes on.
 */
export async function connectAccount(options: ConnectOptions): Promise<AccountTokens> {
  const { provider, store } = options;
  const platform = provider.platform;
  if (platform === 'x')
    throw new ConnectError('X accounts connect with OAuth 1.0a user tokens, not a sign-in');
  const account = checkAccountName(options.account);
  const scopes = options.scopes ?? [...(provider.defaultScopes ?? DEFAULT_SCOPES[platform])];
  const pkce = pkcePair();
  const state = randomState();
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 300_000;

  let settle!: { resolve: (t: AccountTokens) => void; reject: (e: Error) => void };
  const done = new Promise<AccountTokens>((resolve, reject) => (settle = { resolve, reject }));
  let redirectUri = '';
  let busy = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== REDIRECT_PATH) return page(res, 404, 'Not found.');
    const q = url.searchParams;
    if (q.get('state') !== state)
      return page(res, 400, 'This answer does not belong to the sign-in Reelcast is waiting for.');
    if (busy) return page(res, 409, 'Reelcast is already finishing this sign-in.');
    const refused = q.get('error');
    if (refused) {
      const why = `${refused}${q.get('error_description') ? `: ${q.get('error_description')}` : ''}`;
      await page(res, 400, `${platform} did not grant access (${why}).`);
      return settle.reject(
        new ConnectError(`${platform} did not grant access (${why}); run the command again`),
      );
    }
    const code = q.get('code');
    if (!code) return page(res, 400, 'The answer has no authorization code.');
    busy = true;
    try {
      const grant = await provider.exchangeCode({ code, redirectUri, codeVerifier: pkce.verifier });
      const tokens = tokensFromGrant(platform, account, grant, scopes, now());
      await store.save(tokens);
      await page(res, 200, `Connected ${platform} account ${account}. You can close this tab.`);
      settle.resolve(tokens);
    } catch (err) {
      await page(res, 500, `Connecting failed: ${(err as Error).message}`);
      settle.reject(err as Error);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new ConnectError(
              `port ${options.port} on 127.0.0.1 is in use: pass --port with a free one (and register http://127.0.0.1:<port>${REDIRECT_PATH} with ${platform})`,
            )
          : err,
      ),
    );
    server.listen(options.port ?? DEFAULT_REDIRECT_PORT, '127.0.0.1', resolve);
  });
  const timer = setTimeout(
    () =>
      settle.reject(
        new ConnectError(
          `no answer from ${platform}'s sign-in within ${Math.round(timeoutMs / 1000)} s; run the command again`,
        ),
      ),
    timeoutMs,
  );
  try {
    redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${REDIRECT_PATH}`;
    await options.onUrl(
      provider.authorizeUrl({ redirectUri, state, scopes, codeChallenge: pkce.challenge }),
      redirectUri,
    );
    return await done;
  } finally {
    clearTimeout(timer);
    // Answers already sent are flushed; a browser's idle keep-alive connection must not hold us.
    server.close();
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  }
}

function page(res: ServerResponse, status: number, text: string): Promise<void> {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
  });
  return new Promise((resolve) =>
    res.end(`<!doctype html><meta charset="utf-8"><title>Reelcast</title><p>${escaped}</p>\n`, resolve),
  );
}
