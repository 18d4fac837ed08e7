import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config';
import {
  DISCLOSURE_ASSERTION,
  TRAINED_ALGORITHMIC_MEDIA,
  type ReadResult,
} from '../../activities/provenance';
import { C2paService } from '../../activities/provenance/service';
import { c2paPython } from '../../activities/provenance/signer';
import { openStorage } from '../../activities/storage';
import { postStateQuery, postWorkflowId } from '../../workflows/post';
import { commandConfig, say, withClient } from '../context';

const TRUST_LIST = 'https://github.com/c2pa-org/conformance-public (trust-list/C2PA-TRUST-LIST.json)';

/**
 * `reelcast provenance init [--out DIR]`: a private CA and an ES256 signing certificate for a team
 * that has none, and the settings that use them. `reelcast provenance show <file|postId>`: what a
 * rendition's Content Credentials say, as the C2PA library reads and validates them.
 */
export function register(program: Command): void {
  const provenance = program
    .command('provenance')
    .description('Content Credentials (C2PA) on the renditions: make a signing certificate, read a manifest');

  provenance
    .command('init')
    .description('make a private CA and a C2PA signing certificate (ES256), and print the settings to use')
    .option('--out <dir>', 'folder for the files (must not hold them already)', 'provenance')
    .option('--organization <name>', 'organization named in the certificates', 'Reelcast')
    .option('--days <n>', 'validity of the signing certificate in days', days, 365)
    .action(async (opts: { out: string; organization: string; days: number }) => {
      const dir = resolve(opts.out);
      const service = new C2paService(await c2paPython());
      try {
        const made = await service.makeCa(dir, opts.organization, opts.days);
        const f = made.files;
        process.stdout.write(
          [
            `Made a private CA and a signing certificate (ES256, valid until ${made.notAfter.slice(0, 10)}) in ${dir}:`,
            `  ${f.certificateChain}  signing certificate + CA (the chain to configure)`,
            `  ${f.privateKey}  its private key (keep it secret: 0600)`,
            `  ${f.caCertificate}  the CA certificate (trust anchor for \`reelcast provenance show --trust\`)`,
            `  ${f.caKey}  the CA's key: keep it offline; it signs the next certificate`,
            '',
            'Settings (environment; the key never goes into reelcast.config.yaml):',
            `  REELCAST_C2PA_CERT_CHAIN_FILE=${f.certificateChain}`,
            `  REELCAST_C2PA_PRIVATE_KEY_FILE=${f.privateKey}`,
            '  REELCAST_C2PA_ALGORITHM=es256',
            '  REELCAST_C2PA_SIGNING=required   (the default once a certificate is set)',
            '',
            'Note: platforms and viewers (TikTok, contentcredentials.org, Adobe, LinkedIn...) only trust',
            'Content Credentials whose certificate chains to a CA on the C2PA trust list. This private CA',
            'is not on it: the signature is valid, but viewers show the signer as unknown or untrusted.',
            'To be trusted, get a signing certificate from a CA on the C2PA trust list',
            `(${TRUST_LIST}; the C2PA conformance program: https://c2pa.org/conformance),`,
            'then set the two variables above to that chain and key.',
            '',
          ].join('\n'),
        );
      } finally {
        service.close();
      }
    });

  provenance
    .command('show')
    .description("a rendition's Content Credentials: signature, signer, actions, AI disclosure")
    .argument('<file|postId>', 'an MP4 file, or a post id (its renditions in storage)')
    .option(
      '--trust <ca.pem>',
      'trust anchors to validate against (default: the development CA, when there is one)',
    )
    .option('--json', 'what the C2PA library read, as JSON')
    .action(async (target: string, opts: { trust?: string; json?: boolean }) => {
      const config = loadConfig();
      const trustFile = opts.trust ?? join(config.dataDir, 'provenance', 'dev', 'ca.pem');
      const anchors = existsSync(trustFile) ? readFileSync(trustFile, 'utf8') : undefined;
      if (opts.trust && !anchors) throw new Error(`--trust: ${opts.trust} does not exist`);
      const service = new C2paService(await c2paPython());
      const work = await mkdtemp(join(tmpdir(), 'reelcast-provenance-'));
      try {
        const files = existsSync(target)
          ? [{ label: target, path: target }]
          : await renditionsOf(target, work);
        const all: Record<string, ReadResult> = {};
        for (const file of files) {
          const read = await service.read(file.path, anchors);
          all[file.label] = read;
          if (!opts.json) process.stdout.write(`${summary(file.label, read, anchors !== undefined)}\n`);
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      } finally {
        service.close();
        await rm(work, { recursive: true, force: true });
      }
    });
}

/** A post's renditions, downloaded from storage into `dir`. */
async function renditionsOf(postId: string, dir: string): Promise<Array<{ label: string; path: string }>> {
  const config = commandConfig();
  const state = await withClient(
    (client) => client.workflow.getHandle(postWorkflowId(postId)).query(postStateQuery),
    config,
  ).catch((err: Error) => {
    throw new Error(`${postId} is neither a file nor a post Temporal knows (${err.message})`);
  });
  const keys = [...new Set(Object.values(state.renditions).map((r) => r!.renditionKey))];
  if (keys.length === 0) throw new Error(`post ${postId} has no renditions yet (stage ${state.stage})`);
  const storage = openStorage(config);
  const files = [];
  for (const [i, key] of keys.entries()) {
    const path = join(dir, `${i}.mp4`);
    await pipeline(await storage.get(key), createWriteStream(path));
    files.push({ label: key, path });
  }
  say(`post ${postId}: ${keys.length} rendition(s)`);
  return files;
}

function summary(label: string, read: ReadResult, withAnchors: boolean): string {
  if (!read.manifest) return `${label}\n  no Content Credentials`;
  const m = read.manifest;
  const failures = read.results?.activeManifest?.failure ?? [];
  const state =
    read.state === 'Trusted'
      ? 'Trusted: valid signature by a signer under the trust anchors'
      : read.state === 'Valid'
        ? `Valid signature; the signer is ${withAnchors ? 'not under the given trust anchors' : 'not checked against trust anchors (--trust)'}`
        : `Invalid: ${failures.map((f) => f.code).join(', ') || 'see --json'}`;
  const actions =
    (m.assertions?.find((a) => a.label.startsWith('c2pa.actions'))?.data.actions as
      | Array<{ action: string; digitalSourceType?: string; softwareAgent?: Record<string, string> }>
      | undefined) ?? [];
  const disclosure = m.assertions?.find((a) => a.label === DISCLOSURE_ASSERTION)?.data as
    { text?: string } | undefined;
  const lines = [
    label,
    `  validation  ${state}`,
    `  signed by   ${m.signature_info?.common_name ?? '?'} (issuer ${m.signature_info?.issuer ?? '?'})${m.signature_info?.time ? ` at ${m.signature_info.time}` : ''}`,
    ...actions.map((a) => {
      const agent = a.softwareAgent
        ? ` by ${a.softwareAgent.name} ${a.softwareAgent.version ?? ''}${a.softwareAgent.model ? ` with ${a.softwareAgent.model}` : ''}`
        : '';
      const source = a.digitalSourceType
        ? a.digitalSourceType === TRAINED_ALGORITHMIC_MEDIA
          ? ' (AI-generated: trainedAlgorithmicMedia)'
          : ` (${a.digitalSourceType})`
        : '';
      return `  action      ${a.action}${source}${agent.trimEnd()}`;
    }),
    `  disclosure  ${disclosure?.text ? JSON.stringify(disclosure.text) : 'none (the campaign does not disclose)'}`,
  ];
  return lines.join('\n');
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3650)
    throw new InvalidArgumentError('expected days from 1 to 3650');
  return n;
}
