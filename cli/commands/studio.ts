import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Secret, type ReelcastConfig } from '../../config';
import { commandConfig, say } from '../context';

/** Where Studio's users are kept: the setting, or studio-users.json in dataDir. */
export function usersFileOf(config: ReelcastConfig): string {
  return config.studio.usersFile ?? join(config.dataDir, 'studio-users.json');
}

export interface RunningStudio {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves Studio for this config until closed. Used by `reelcast studio` and `reelcast demo`.
 * Loads the web libraries only when called, so other commands stay quick to start.
 */
export async function startStudio(
  config: ReelcastConfig,
  opts: { host?: string; port?: number; log?: (line: string) => void } = {},
): Promise<RunningStudio> {
  const [{ serve }, { createStudio }, { openStorage }, { connectClient }] = await Promise.all([
    import('@hono/node-server'),
    import('../../studio/server'),
    import('../../activities/storage'),
    import('../../worker/connection'),
  ]);
  const token = config.studio.token?.reveal();
  if (token !== undefined && token.length < 20)
    throw new Error(
      'studio.token (REELCAST_STUDIO_TOKEN) is shorter than 20 characters; make one with `openssl rand -base64 24`',
    );
  const client = await connectClient(config);
  const app = createStudio({
    config,
    client,
    storage: openStorage(config),
    usersFile: usersFileOf(config),
    token,
    secureCookies: config.studio.secureCookies,
    streamMedia: config.studio.streamMedia,
  });
  const host = opts.host ?? config.studio.host;
  const port = opts.port ?? config.studio.port;
  const server = serve({ fetch: app.fetch, hostname: host, port });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} on ${host} is in use; choose another with --port or studio.port (REELCAST_STUDIO_PORT)`,
            )
          : err,
      ),
    );
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.connection.close();
    },
  };
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) say('Password (at least 10 characters), then Enter and Ctrl-D:');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export function register(program: Command): void {
  const studio = program
    .command('studio')
    .description('the web app where a team sees, approves and fixes its posts (log-in required)')
    .option('--host <address>', 'address to listen on (default: studio.host, 127.0.0.1)')
    .option('--port <n>', 'port to listen on (default: studio.port, 8484)')
    .action(async (opts: { host?: string; port?: string }) => {
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
        throw new Error(`--port: "${opts.port}" is not a port number (0-65535)`);
      const config = commandConfig();
      const { readUsers } = await import('../../studio/auth');
      const users = readUsers(usersFileOf(config));
      if (users.length === 0 && !config.studio.token)
        say(
          `note: nobody can sign in yet: add a user with \`reelcast studio add-user <name> --role admin\` (kept in ${usersFileOf(config)}), or set REELCAST_STUDIO_TOKEN for a single-person set-up`,
        );
      const running = await startStudio(config, { host: opts.host, port });
      say(`Reelcast Studio: ${running.url}  (Ctrl-C stops it)`);
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  studio
    .command('add-user')
    .argument('<name>', 'the name the person signs in with')
    .requiredOption('--role <role>', 'viewer (looks), editor (approves, replays, pauses, runs) or admin')
    .description('add a Studio user, or set their role and password; the password is read from stdin')
    .action(async (name: string, opts: { role: string }) => {
      const { addUser, ROLES } = await import('../../studio/auth');
      if (!(ROLES as readonly string[]).includes(opts.role))
        throw new Error(`--role: "${opts.role}" is not a role; use ${ROLES.join(', ')}`);
      const config = commandConfig();
      const file = usersFileOf(config);
      await addUser(file, name, opts.role as (typeof ROLES)[number], await readPassword());
      say(`${name} (${opts.role}) can sign in to Studio; users are kept in ${file}`);
    });
}

/**
 * Studio for `reelcast demo`, in the demo's own process. Without users or a token it gets a
 * fresh token, printed once for the person at the terminal. A port in use (another Studio) is
 * reported, not fatal.
 */
export async function startDemoStudio(
  config: ReelcastConfig,
): Promise<{ url: string; signIn: string; close: () => Promise<void> }> {
  const { readUsers } = await import('../../studio/auth');
  const hasUsers = readUsers(usersFileOf(config)).length > 0;
  const token = config.studio.token || hasUsers ? undefined : randomBytes(18).toString('base64url');
  const withToken: ReelcastConfig = token
    ? { ...config, studio: { ...config.studio, token: new Secret(token) } }
    : config;
  const running = await startStudio(withToken);
  return {
    url: running.url,
    signIn: token ? `sign in with the token ${token}` : 'sign in as a Studio user',
    close: () => running.close(),
  };
}
