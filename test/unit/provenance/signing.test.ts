/**
 * Content Credentials on a rendition, with the real C2PA library (c2pa-python in the tool cache's
 * venv) and real ffmpeg, no servers: what a worker refuses at start-up, what a signed rendition
 * says when an independent reader (c2pa-python's Reader, test/harness/c2pa_reader.py) validates
 * it, and that the signed file still meets its channel preset.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Secret } from '../../../config';
import { transcodeRendition } from '../../../activities/media';
import { isFastStart, topLevelBoxes } from '../../../activities/media/mp4-boxes';
import {
  checkCredentials,
  configuredCredentials,
  ContentCredentialsError,
  DISCLOSURE_ASSERTION,
  openRenditionSigner,
  NON_RETRYABLE_PROVENANCE_ERRORS,
  SigningCertificateError,
  TimeStampUnavailableError,
  type RenditionSigner,
  type SigningCredentials,
} from '../../../activities/provenance';
import { CHAIN_SETTING, KEY_SETTING } from '../../../activities/provenance/certificates';
import { C2paService } from '../../../activities/provenance/service';
import { c2paPython, readCredentials } from '../../../activities/provenance/signer';
import { DiskFullError, FsStorage } from '../../../activities/storage';
import { actionsOf, readContentCredentials, TRAINED_ALGORITHMIC_MEDIA } from '../../harness/c2pa';
import { startFakeTsa, type FakeTsa } from '../../fakes/tsa/server';
import { makeClip } from '../media/clips';

const version = (
  JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }
).version;

let dir: string;
let teamA: { chain: string; key: string; ca: string };
let teamB: { chain: string; key: string };

function provenance(chain?: string, key?: string, extra: Record<string, unknown> = {}) {
  return {
    dataDir: join(dir, 'data'),
    provenance: {
      signing: 'auto' as const,
      algorithm: 'es256' as const,
      ...(chain ? { certificateChain: new Secret(readFileSync(chain, 'utf8')) } : {}),
      ...(key ? { privateKey: new Secret(readFileSync(key, 'utf8')) } : {}),
      ...extra,
    },
  };
}

function credentials(chain: string, key: string): SigningCredentials {
  return configuredCredentials(provenance(chain, key))!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-provenance-'));
  const service = new C2paService(await c2paPython());
  try {
    const a = await service.makeCa(join(dir, 'team-a'), 'Team A', 30);
    const b = await service.makeCa(join(dir, 'team-b'), 'Team B', 30);
    teamA = { chain: a.files.certificateChain, key: a.files.privateKey, ca: a.files.caCertificate };
    teamB = { chain: b.files.certificateChain, key: b.files.privateKey };
  } finally {
    service.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the signing certificate, checked before the worker takes work', () => {
  test('a certificate from `provenance init` passes', () => {
    const summary = checkCredentials(credentials(teamA.chain, teamA.key));
    expect(summary.subject).toContain('Team A C2PA signer');
  });

  test('an expired certificate names the setting and says to renew it', () => {
    const later = new Date(Date.now() + 40 * 86_400_000);
    expect(() => checkCredentials(credentials(teamA.chain, teamA.key), later)).toThrow(
      expect.objectContaining({
        name: 'SigningCertificateError',
        where: CHAIN_SETTING,
        message: expect.stringMatching(/expired on .*renew it/),
      }),
    );
  });

  test('a key that belongs to another certificate names the key setting', () => {
    expect(() => checkCredentials(credentials(teamA.chain, teamB.key))).toThrow(
      expect.objectContaining({ where: KEY_SETTING, message: expect.stringMatching(/does not belong/) }),
    );
  });

  test('a CA certificate in place of the signing certificate is refused', () => {
    expect(() => checkCredentials(credentials(teamA.ca, teamA.key))).toThrow(/is a CA certificate/);
  });

  test('an algorithm that does not fit the key says which fits', () => {
    const c = configuredCredentials(provenance(teamA.chain, teamA.key, { algorithm: 'es384' }))!;
    expect(() => checkCredentials(c)).toThrow(/es384 needs an EC P-384 key.*es256/);
  });

  test('a chain without its key, or a file without a certificate, names what is missing', () => {
    expect(() => configuredCredentials(provenance(teamA.chain))).toThrow(
      expect.objectContaining({ where: KEY_SETTING }),
    );
    expect(() => checkCredentials(credentials(teamA.key, teamA.key))).toThrow(/holds no PEM certificate/);
  });

  test('a worker that must sign refuses to start without a certificate, or with a bad one', async () => {
    await expect(
      openRenditionSigner(provenance(undefined, undefined, { signing: 'required' })),
    ).rejects.toThrow(
      expect.objectContaining({
        name: 'SigningCertificateError',
        message: expect.stringMatching(/no certificate is set/),
      }),
    );
    // auto with a certificate configured: required.
    await expect(openRenditionSigner(provenance(teamA.chain, teamB.key))).rejects.toBeInstanceOf(
      SigningCertificateError,
    );
  });

  test('off signs nothing', async () => {
    const signer = await openRenditionSigner(provenance(teamA.chain, teamA.key, { signing: 'off' }));
    expect(signer.active).toBe(false);
  });
});

describe('a signed rendition', () => {
  let storage: FsStorage;
  let signer: RenditionSigner;
  const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };

  beforeAll(async () => {
    storage = new FsStorage(join(dir, 'storage'));
    const clip = makeClip(dir, { shape: 'landscape', seconds: 2, fps: 24, audio: false });
    await storage.put('masters/m1.mkv', readFileSync(clip), { metadata: { 'model-id': 'demo-model-v1' } });
    signer = await openRenditionSigner(provenance(teamA.chain, teamA.key));
  }, 60_000);
  afterAll(() => signer?.close());

  async function stored(key: string): Promise<string> {
    const path = join(dir, key.replace(/\//g, '_'));
    const { writeFileSync } = await import('node:fs');
    const chunks: Buffer[] = [];
    for await (const c of await storage.get(key)) chunks.push(c as Buffer);
    writeFileSync(path, Buffer.concat(chunks));
    return path;
  }

  test('is valid under the team CA, says AI-generated by Reelcast with the model, and still meets its preset', async () => {
    const result = await transcodeRendition(
      { masterKey: 'masters/m1.mkv', preset: 'x', aiDisclosure: 'AI-generated video' },
      { storage, config: { ffmpeg }, signer },
    );
    const file = await stored(result.renditionKey);
    const read = await readContentCredentials(file, teamA.ca);
    expect(read.state).toBe('Trusted');
    const actions = actionsOf(read);
    expect(actions['c2pa.created']).toMatchObject({
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent: { name: 'Reelcast', version, model: 'demo-model-v1' },
    });
    expect(actions['c2pa.transcoded']).toBeDefined();
    expect(read.manifest?.assertions?.find((a) => a.label === DISCLOSURE_ASSERTION)?.data).toEqual({
      disclosed: true,
      text: 'AI-generated video',
      platformLabel: true,
    });
    // transcodeRendition validated the signed file against the preset; the box order shows why
    // it passed: the manifest box sits after ftyp, moov still before mdat.
    const boxes = await topLevelBoxes(file);
    expect(boxes.map((b) => b.type).slice(0, 3)).toEqual(['ftyp', 'uuid', 'moov']);
    expect(isFastStart(boxes)).toBe(true);
    // Without the team's CA the signature is still valid, its signer unknown.
    expect((await readContentCredentials(file)).state).toBe('Valid');
  });

  test('a rendition stored unsigned is not reused once signing is on', async () => {
    const request = { masterKey: 'masters/m1.mkv', preset: 'x' as const };
    const unsigned = await transcodeRendition(request, { storage, config: { ffmpeg } });
    const signed = await transcodeRendition(request, { storage, config: { ffmpeg }, signer });
    expect(signed.renditionKey).not.toBe(unsigned.renditionKey);
    expect(signed.reused).toBe(false);
    expect((await readContentCredentials(await stored(unsigned.renditionKey))).manifest).toBeNull();
    const read = await readContentCredentials(await stored(signed.renditionKey), teamA.ca);
    expect(read.state).toBe('Trusted');
    // Not disclosed: the AI marking stays, the disclosure assertion does not.
    expect(actionsOf(read)['c2pa.created'].digitalSourceType).toBe(TRAINED_ALGORITHMIC_MEDIA);
    expect(read.manifest?.assertions?.some((a) => a.label === DISCLOSURE_ASSERTION)).toBe(false);
    // What Studio shows under each video, stored with the rendition: who signed, and that it is
    // the team's certificate; nothing for the unsigned one.
    const credentialsOf = async (key: string) => readCredentials((await storage.head(key))?.metadata);
    expect(await credentialsOf(unsigned.renditionKey)).toBeUndefined();
    expect(await credentialsOf(signed.renditionKey)).toEqual({
      signedBy: { name: expect.stringMatching(/\S/), development: false, algorithm: 'es256' },
      source: 'trainedAlgorithmicMedia',
      disclosure: false,
    });
  });

  test('a disk that fills while signing is a full disk, retried, not a certificate problem', async () => {
    const unsigned = await transcodeRendition(
      { masterKey: 'masters/m1.mkv', preset: 'x' },
      { storage, config: { ffmpeg } },
    );
    const file = await stored(unsigned.renditionKey);
    // The signed copy is written beside the rendition: there, every write fails with ENOSPC.
    symlinkSync('/dev/full', `${file}.c2pa-partial`);
    const err = await signer.sign(file, { preset: 'x' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DiskFullError);
    expect(err!.message).toContain(`no space left for the signed copy of the rendition in ${dirname(file)}`);
    expect(err!.message).toContain('TMPDIR');
    // Nothing half-signed stays, and the same signer signs once there is room.
    expect(existsSync(`${file}.c2pa-partial`)).toBe(false);
    expect((await readContentCredentials(file)).manifest).toBeNull();
    await signer.sign(file, { preset: 'x' });
    expect((await readContentCredentials(file, teamA.ca)).state).toBe('Trusted');
  });

  test('an unreadable master names its key and stores nothing', async () => {
    await storage.put('masters/garbage.mkv', 'this is not a video\n');
    const err = await transcodeRendition(
      { masterKey: 'masters/garbage.mkv', preset: 'x' },
      { storage, config: { ffmpeg }, signer },
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toMatchObject({
      name: 'CorruptMediaError',
      message: expect.stringContaining('masters/garbage.mkv'),
    });
    const keys: string[] = [];
    for await (const o of storage.list('renditions/garbage')) keys.push(o.key);
    expect(keys).toEqual([]);
  });

  test('a signer process that went away is started again, with its certificate, for the next rendition', async () => {
    const first = await transcodeRendition(
      { masterKey: 'masters/m1.mkv', preset: 'x' },
      { storage, config: { ffmpeg }, signer },
    );
    signer.close(); // the process ends, as a crash would end it
    const path = join(dir, 'again.mp4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, await storage.getBuffer(first.renditionKey));
    const again = join(dir, 'plain.mp4');
    const { execFileSync } = await import('node:child_process');
    // An unsigned copy of the same rendition (ffmpeg drops the manifest box), signed anew.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path, '-c', 'copy', '-movflags', '+faststart', again]);
    expect((await readContentCredentials(again)).manifest).toBeNull();
    await signer.sign(again, { preset: 'x' });
    expect((await readContentCredentials(again, teamA.ca)).state).toBe('Trusted');
  });

  test('a signer moved to another certificate makes its renditions again instead of reusing the old ones', async () => {
    const other = await openRenditionSigner(provenance(teamB.chain, teamB.key));
    try {
      expect(other.identity('x')).not.toBe(signer.identity('x'));
      expect(signer.identity('x')).not.toBe(signer.identity(undefined));
    } finally {
      other.close();
    }
  });

  test('a file the library cannot sign fails with ContentCredentialsError, not an unsigned file', async () => {
    const path = join(dir, 'not-an-mp4.mp4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'plain text, not a video');
    await expect(signer.sign(path, { preset: 'x' })).rejects.toBeInstanceOf(ContentCredentialsError);
  });
});

describe('auto without a certificate', () => {
  test('signs with a development CA made once in the data folder, and says so', async () => {
    const warnings: string[] = [];
    const config = provenance();
    const signer = await openRenditionSigner(config, (w) => warnings.push(w));
    try {
      expect(signer.active).toBe(true);
      expect(signer.description).toMatch(/development CA/);
      expect(warnings.join('\n')).toMatch(/development CA in .*provenance\/dev.*untrusted/);
    } finally {
      signer.close();
    }
    const again = await openRenditionSigner(config, () => undefined);
    again.close();
    // The same CA: made once.
    expect(readFileSync(join(config.dataDir, 'provenance', 'dev', 'ca.pem'), 'utf8')).toContain(
      'BEGIN CERTIFICATE',
    );
  });
});

describe('a time-stamp authority (provenance.tsaUrl)', () => {
  const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
  let tsa: FakeTsa;
  beforeAll(async () => {
    tsa = await startFakeTsa();
  });
  afterAll(() => tsa.close());

  test('stamps every signature; while it is down, signing fails with a retryable error that names it', async () => {
    const signer = await openRenditionSigner(
      provenance(teamA.chain, teamA.key, { tsaUrl: `${tsa.url}?key=hush` }),
    );
    try {
      const storage = new FsStorage(join(dir, 'storage-tsa'));
      const clip = makeClip(dir, { shape: 'landscape', seconds: 1, fps: 24, audio: false });
      await storage.put('masters/t1.mkv', readFileSync(clip));
      const unsigned = await transcodeRendition(
        { masterKey: 'masters/t1.mkv', preset: 'x' },
        { storage, config: { ffmpeg } },
      );
      const file = join(dir, 'tsa-rendition.mp4');
      writeFileSync(file, await storage.getBuffer(unsigned.renditionKey));

      // The authority is down: no signature without its stamp, and a retry is what helps.
      tsa.failNext(1);
      const err = await signer.sign(file, { preset: 'x' }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(TimeStampUnavailableError);
      expect(err!.message).toContain(new URL(tsa.url).origin);
      expect(err!.message).toContain('provenance.tsaUrl');
      expect(err!.message).not.toContain('hush');
      expect(NON_RETRYABLE_PROVENANCE_ERRORS).not.toContain(err!.name);
      expect((await readContentCredentials(file)).manifest).toBeNull();

      // Back up: the signature carries its time-stamp, which the independent reader validates.
      const before = tsa.requests;
      await signer.sign(file, { preset: 'x' });
      expect(tsa.requests).toBe(before + 1);
      const read = await readContentCredentials(file, teamA.ca);
      expect(read.state).toBe('Trusted');
      const codes = (read.results?.activeManifest?.success ?? []).map((r) => r.code);
      expect(codes).toContain('timeStamp.validated');
    } finally {
      signer.close();
    }
  });
});
