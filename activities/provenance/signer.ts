/**
 * The rendition signer a media worker opens once at start-up (worker/worker.ts): it decides from
 * the settings whether renditions are signed and with what, checks the certificate and key
 * before the worker takes work, and keeps one C2PA service process for the worker's life.
 *
 *   provenance.signing  certificate set   →  signer
 *   off                 any               →  none: renditions unsigned
 *   required            no                →  SigningCertificateError: the worker does not start
 *   required | auto     yes, bad          →  SigningCertificateError: the worker does not start
 *   required | auto     yes, good         →  signs with it; a failure fails the rendition
 *   auto                no                →  development CA in <dataDir>/provenance/dev (made once);
 *                                            when even that fails (no python3): unsigned, with a warning
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReelcastConfig } from '../../config';
import { resolveC2paPython } from '../../services/tools';
import { MEDIA_TMP_SETTING } from '../media/ffmpeg';
import { DiskFullError } from '../storage/storage';
import {
  checkCredentials,
  configuredCredentials,
  CHAIN_SETTING,
  type CertificateSummary,
  type SigningCredentials,
} from './certificates';
import {
  C2paServiceError,
  ContentCredentialsError,
  SigningCertificateError,
  TimeStampUnavailableError,
} from './errors';
import { renditionManifest, type RenditionFacts } from './manifest';
import { C2paService, provenanceDir } from './service';

export type SignerConfig = Pick<ReelcastConfig, 'provenance' | 'dataDir'>;

/** What the pipeline knows about a rendition beyond its file: the model and the disclosure. */
export type ProvenanceFacts = Pick<RenditionFacts, 'modelId' | 'aiDisclosure'>;

export interface RenditionSigner {
  /** False: renditions are not signed (provenance.signing off, or auto without any certificate). */
  readonly active: boolean;
  /** One line for the worker's start-up: what signs, until when. */
  readonly description: string;
  /**
   * What of the signing goes into the rendition's key (activities/media/rendition-keys.ts), so a
   * rendition stored unsigned, by another signer or with another disclosure is never reused.
   */
  identity(aiDisclosure: string | undefined): string | undefined;
  /** Who signs, for people: stored with each signed rendition (credentialsMetadata). */
  readonly signedBy?: RenditionCredentials['signedBy'];
  /** Signs the MP4 at `path` in place. */
  sign(path: string, facts: ProvenanceFacts & { preset: string }): Promise<void>;
  close(): void;
}

export const NO_SIGNING: RenditionSigner = {
  active: false,
  description: 'Content Credentials: off (renditions are not signed)',
  identity: () => undefined,
  sign: async () => undefined,
  close: () => undefined,
};

/** What a signed rendition's Content Credentials say, in brief, for Studio's post page. */
export interface RenditionCredentials {
  /** The signing certificate's subject, and whether it is the development CA's (untrusted). */
  signedBy: { name: string; development: boolean; algorithm: string };
  /** The IPTC digital source type the manifest declares. */
  source: 'trainedAlgorithmicMedia';
  /** Whether the manifest carries the campaign's AI disclosure (its text is the caption's line). */
  disclosure: boolean;
}

const CREDENTIALS_META = 'reelcast-credentials';

/** Storage metadata for a rendition signed by `signer` (none when it signs nothing). */
export function credentialsMetadata(
  signer: RenditionSigner | undefined,
  aiDisclosure: string | undefined,
): Record<string, string> {
  if (!signer?.active || !signer.signedBy) return {};
  const credentials: RenditionCredentials = {
    signedBy: signer.signedBy,
    source: 'trainedAlgorithmicMedia',
    disclosure: aiDisclosure !== undefined,
  };
  // Metadata values travel as HTTP headers: ASCII only (and S3 keeps 2 KB of them: no free text).
  return { [CREDENTIALS_META]: encodeURIComponent(JSON.stringify(credentials)) };
}

/** The credentials stored with a rendition, or undefined (unsigned, or made before they were stored). */
export function readCredentials(
  metadata: Record<string, string> | undefined,
): RenditionCredentials | undefined {
  const value = metadata?.[CREDENTIALS_META];
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(decodeURIComponent(value)) as RenditionCredentials;
    return typeof parsed?.signedBy?.name === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The rendition's Content Credentials: one call from the transcode, after the encode. */
export async function signRendition(
  path: string,
  facts: ProvenanceFacts & { preset: string },
  signer: RenditionSigner | undefined,
): Promise<void> {
  if (signer?.active) await signer.sign(path, facts);
}

const DEVELOPMENT_CA = 'development CA';

export async function openRenditionSigner(
  config: SignerConfig,
  warn: (line: string) => void = (w) => process.emitWarning(w, 'ReelcastProvenanceWarning'),
): Promise<RenditionSigner> {
  const mode = config.provenance.signing;
  if (mode === 'off') return NO_SIGNING;
  const configured = configuredCredentials(config);
  if (configured || mode === 'required') {
    if (!configured)
      throw new SigningCertificateError(
        CHAIN_SETTING,
        'provenance.signing is required but no certificate is set; set the chain and key (`reelcast provenance init` makes a private pair), or set REELCAST_C2PA_SIGNING=off',
      );
    const summary = checkCredentials(configured);
    const service = await startService(configured);
    return signer(service, configured, summary, 'configured certificate');
  }
  try {
    const dev = await developmentCredentials(config);
    const service = await startService(dev.credentials);
    warn(
      `Content Credentials are signed with the development CA in ${dev.dir}; viewers show them as untrusted. Set provenance.certificateChain and provenance.privateKey for production (see \`reelcast provenance init\`).`,
    );
    return signer(service, dev.credentials, dev.summary, DEVELOPMENT_CA);
  } catch (err) {
    warn(
      `renditions are published WITHOUT Content Credentials: ${(err as Error).message.split('\n')[0]}. Set provenance.signing to required to refuse instead, or off to silence this.`,
    );
    return NO_SIGNING;
  }
}

/** The venv's Python, once per process: installing it may take seconds the first time. */
let python: Promise<string> | undefined;

export function c2paPython(): Promise<string> {
  python ??= resolveC2paPython({ root: repoRoot() }).catch((err: unknown) => {
    python = undefined;
    throw new C2paServiceError((err as Error).message);
  });
  return python;
}

export function repoRoot(): string {
  return join(provenanceDir(), '..', '..');
}

/** Reelcast's version as the manifests name it (package.json). */
export function reelcastVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function startService(credentials: SigningCredentials): Promise<C2paService> {
  const service = new C2paService(await c2paPython());
  try {
    await service.init({
      alg: credentials.algorithm,
      chain: credentials.chainPem,
      key: credentials.keyPem,
      tsa: credentials.tsaUrl,
    });
  } catch (err) {
    service.close();
    if (err instanceof C2paServiceError && err.kind === 'credentials')
      throw new SigningCertificateError(credentials.chainLabel, err.message);
    throw err;
  }
  return service;
}

function signer(
  service: C2paService,
  credentials: SigningCredentials,
  summary: CertificateSummary,
  what: string,
): RenditionSigner {
  const version = reelcastVersion();
  return {
    active: true,
    description: `Content Credentials: signed with the ${what} ${subjectName(summary.subject)} (${credentials.algorithm}), valid until ${summary.notAfter.toISOString().slice(0, 10)}`,
    signedBy: {
      name: subjectName(summary.subject),
      development: what === DEVELOPMENT_CA,
      algorithm: credentials.algorithm,
    },
    // The signer is part of it: after a move from the development CA to the team's certificate, a
    // retry or replay makes the rendition again rather than reuse one signed by the old signer.
    identity: (aiDisclosure) =>
      JSON.stringify({ c2pa: 1, signer: summary.fingerprint, disclosure: aiDisclosure ?? null }),
    async sign(path, facts) {
      // A worker runs for months: a certificate that expired since the start signs nothing.
      if (Date.now() > summary.notAfter.getTime()) checkCredentials(credentials);
      const manifest = renditionManifest({ ...facts, reelcastVersion: version, title: basename(path) });
      try {
        await service.sign(path, manifest);
      } catch (err) {
        if (err instanceof C2paServiceError && err.kind === 'sign')
          throw new ContentCredentialsError(basename(path), err.message);
        // The signed copy is written beside the rendition, in the worker's temporary folder:
        // retried like any transcode that ran out of room.
        if (err instanceof C2paServiceError && err.kind === 'tsa')
          throw new TimeStampUnavailableError(originOf(credentials.tsaUrl), err.message);
        if (err instanceof C2paServiceError && err.kind === 'disk-full')
          throw new DiskFullError(dirname(path), 'the signed copy of the rendition', MEDIA_TMP_SETTING);
        throw err;
      }
    },
    close: () => service.close(),
  };
}

/** The development CA and signer in <dataDir>/provenance/dev, made on first use and renewed when expired. */
async function developmentCredentials(
  config: SignerConfig,
): Promise<{ dir: string; credentials: SigningCredentials; summary: CertificateSummary }> {
  const dir = join(config.dataDir, 'provenance', 'dev');
  const load = (): SigningCredentials => ({
    chainPem: readFileSync(join(dir, 'signer-chain.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'signer.key'), 'utf8'),
    algorithm: 'es256',
    chainLabel: join(dir, 'signer-chain.pem'),
    keyLabel: join(dir, 'signer.key'),
  });
  if (existsSync(join(dir, 'signer.key'))) {
    try {
      const credentials = load();
      return { dir, credentials, summary: checkCredentials(credentials) };
    } catch {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const maker = new C2paService(await c2paPython());
  try {
    await maker.makeCa(dir, 'Reelcast development', 365);
  } catch (err) {
    // Another worker on this data folder made it a moment ago.
    if (!(err instanceof C2paServiceError && err.kind === 'exists')) throw err;
  } finally {
    maker.close();
  }
  const credentials = load();
  return { dir, credentials, summary: checkCredentials(credentials) };
}

function subjectName(subject: string): string {
  return `"${/CN=([^\n]+)/.exec(subject)?.[1] ?? subject}"`;
}

/** A URL's scheme, host and port: never its path or query, which may hold an access token. */
function originOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').origin;
  } catch {
    return 'at provenance.tsaUrl';
  }
}
