import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { configReference } from '../../../cli/commands/config';
import {
  ConfigError,
  loadConfig,
  loadConfigWithSources,
  Secret,
  SETTINGS,
  unknownVariables,
} from '../../../config';

function dirWithConfig(yaml?: string): { cwd: string; file?: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'reelcast-config-'));
  if (yaml === undefined) return { cwd };
  const file = join(cwd, 'reelcast.config.yaml');
  writeFileSync(file, yaml);
  return { cwd, file };
}

function loadError(env: NodeJS.ProcessEnv, yaml?: string): ConfigError {
  const { cwd } = dirWithConfig(yaml);
  try {
    loadConfig({ env, cwd });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config loader', () => {
  it('gives the embedded defaults with no file and no environment', () => {
    const { cwd } = dirWithConfig();
    const config = loadConfig({ env: {}, cwd });
    expect(config.dataDir).toBe(join(cwd, '.reelcast'));
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal.devServer.port).toBe(7233);
    expect(config.storage.kind).toBe('fs');
    expect(config.worker.queues).toEqual(['gpu', 'media', 'publish']);
    expect(config.worker.gpuConcurrency).toBe(1);
  });

  it('lets the environment override the file, and says where each value came from', () => {
    const { cwd } = dirWithConfig('worker:\n  gpuConcurrency: 2\n  shutdownGraceSeconds: 5\n');
    const { config, sources } = loadConfigWithSources({ env: { REELCAST_GPU_CONCURRENCY: '4' }, cwd });
    expect(config.worker.gpuConcurrency).toBe(4);
    expect(config.worker.shutdownGraceSeconds).toBe(5);
    expect(sources['worker.gpuConcurrency']).toEqual({ source: 'env', where: 'REELCAST_GPU_CONCURRENCY' });
    expect(sources['worker.shutdownGraceSeconds'].source).toBe('file');
    expect(sources['worker.shutdownGraceSeconds'].where).toMatch(/reelcast\.config\.yaml:3:/);
  });

  it.each([
    ['REELCAST_GPU_CONCURRENCY', 'two', 'worker.gpuConcurrency', /whole number from 1 to 64/],
    ['REELCAST_TEMPORAL_PORT', '70000', 'temporal.devServer.port', /from 1 to 65535/],
    ['REELCAST_STORAGE', 'ftp', 'storage.kind', /one of fs, s3/],
    ['REELCAST_QUEUES', 'gpu,video', 'worker.queues', /gpu, media, publish/],
    ['S3_ENDPOINT', 'localhost:9000', 'storage.s3.endpoint', /URL/],
    ['S3_FORCE_PATH_STYLE', 'maybe', 'storage.s3.forcePathStyle', /true or false/],
  ])('rejects %s=%s naming the variable, the key and what is expected', (env, value, key, expected) => {
    const err = loadError({ [env]: value });
    expect(err.where).toBe(env);
    expect(err.key).toBe(key);
    expect(err.message).toMatch(expected);
  });

  it('names the file, line and a close match for an unknown key', () => {
    const err = loadError({}, 'worker:\n  gpuConcurency: 2\n');
    expect(err.where).toMatch(/reelcast\.config\.yaml:2:3$/);
    expect(err.message).toMatch(/unknown setting.*did you mean worker\.gpuConcurrency/);
  });

  it('names the line of a YAML syntax error', () => {
    const err = loadError({}, 'worker:\n  queues: [gpu,\n');
    expect(err.where).toMatch(/reelcast\.config\.yaml:\d+:\d+$/);
    expect(err.message).toMatch(/not valid YAML/);
  });

  it('refuses a secret written in the config file and says which variable to use', () => {
    const err = loadError({}, 'channels:\n  x:\n    appSecret: hunter2\n');
    expect(err.where).toMatch(/reelcast\.config\.yaml:3:/);
    expect(err.message).toMatch(/X_APP_SECRET or X_APP_SECRET_FILE/);
    expect(err.message).not.toContain('hunter2');
  });

  it('reads a secret from a file named by <VAR>_FILE and never prints it', () => {
    const { cwd } = dirWithConfig();
    writeFileSync(join(cwd, 'token'), 's3cr3t-token\n');
    const config = loadConfig({ env: { X_ACCESS_TOKEN_FILE: 'token' }, cwd });
    const token = config.channels.x.accessToken!;
    expect(token).toBeInstanceOf(Secret);
    expect(token.reveal()).toBe('s3cr3t-token');
    expect(JSON.stringify(config)).not.toContain('s3cr3t');
    expect(inspect(config, { depth: 10 })).not.toContain('s3cr3t');
    expect(`${token}`).toBe('[redacted]');
  });

  it('says when a secret file does not exist', () => {
    const err = loadError({ S3_SECRET_ACCESS_KEY_FILE: '/nonexistent/key' });
    expect(err.where).toBe('S3_SECRET_ACCESS_KEY_FILE');
    expect(err.message).toMatch(/does not exist/);
  });

  it('documents every setting in the README configuration reference', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const undocumented = SETTINGS.filter((s) => !readme.includes(`\`${s.env}\``)).map((s) => s.env);
    expect(undocumented).toEqual([]);
    // The table is `reelcast config --reference`, word for word.
    expect(readme).toContain(configReference());
  });

  it('warns about a REELCAST_ variable that is no setting, naming the closest one', () => {
    expect(unknownVariables({ REELCAST_STORAGE_KIND: 's3', REELCAST_STORAGE: 'fs', PATH: '/bin' })).toEqual([
      'warning: REELCAST_STORAGE_KIND is not a Reelcast setting and is ignored (did you mean REELCAST_STORAGE, storage.kind?); see `reelcast config --reference`',
    ]);
    expect(unknownVariables({ REELCAST_GPU_CONCURENCY: '2' })[0]).toMatch(
      /did you mean REELCAST_GPU_CONCURRENCY/,
    );
    // Settings, secrets' _FILE forms and the documented tool variables are known.
    expect(
      unknownVariables({
        REELCAST_DELIVERY: 'live',
        REELCAST_CONFIG: 'x.yaml',
        REELCAST_DEBUG: '1',
        S3_SECRET_ACCESS_KEY_FILE: '/run/key',
      }),
    ).toEqual([]);
  });
});
