/**
 * The signing certificate chain and key: read from the settings, checked here with Node's own
 * X.509 code before the C2PA library sees them, so a bad set-up fails the worker's start-up with
 * a message that names the setting and says what to do, not a post in the middle of the day.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { ReelcastConfig } from '../../config';
import { SigningCertificateError } from './errors';

export type SigningAlgorithm = ReelcastConfig['provenance']['algorithm'];

export interface SigningCredentials {
  /** PEM: signing certificate first, then intermediates. */
  chainPem: string;
  keyPem: string;
  algorithm: SigningAlgorithm;
  tsaUrl?: string;
  /** How messages name where the certificate came from. */
  chainLabel: string;
  keyLabel: string;
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  notAfter: Date;
  fingerprint: string;
}

export const CHAIN_SETTING =
  'provenance.certificateChain (REELCAST_C2PA_CERT_CHAIN or REELCAST_C2PA_CERT_CHAIN_FILE)';
export const KEY_SETTING =
  'provenance.privateKey (REELCAST_C2PA_PRIVATE_KEY or REELCAST_C2PA_PRIVATE_KEY_FILE)';

/** Extended key usages C2PA accepts on a signing certificate: documentSigning, emailProtection, C2PA claim signing. */
const C2PA_EKUS = ['1.3.6.1.5.5.7.3.36', '1.3.6.1.5.5.7.3.4', '1.3.6.1.4.1.62558.2.1'];

const INIT_HINT =
  'run `reelcast provenance init` to make a private CA and signing certificate, or use one from your CA';

/** The configured credentials, or undefined when neither the chain nor the key is set. */
export function configuredCredentials(
  config: Pick<ReelcastConfig, 'provenance'>,
): SigningCredentials | undefined {
  const p = config.provenance;
  if (!p.certificateChain && !p.privateKey) return undefined;
  if (!p.certificateChain)
    throw new SigningCertificateError(
      CHAIN_SETTING,
      `not set, but a private key is; set it too (${INIT_HINT})`,
    );
  if (!p.privateKey)
    throw new SigningCertificateError(
      KEY_SETTING,
      `not set, but a certificate is; set the certificate's key`,
    );
  return {
    chainPem: p.certificateChain.reveal(),
    keyPem: p.privateKey.reveal(),
    algorithm: p.algorithm,
    tsaUrl: p.tsaUrl,
    chainLabel: CHAIN_SETTING,
    keyLabel: KEY_SETTING,
  };
}

/**
 * Every check C2PA's validators make on a signing certificate that can be made here, against
 * `now`: a parseable chain whose links verify, a signing certificate (not a CA, not self-signed,
 * with a C2PA extended key usage) that is valid now, and a key that belongs to it and fits the
 * algorithm. Throws SigningCertificateError on the first problem; returns the signer's summary.
 */
export function checkCredentials(credentials: SigningCredentials, now = new Date()): CertificateSummary {
  const { chainLabel, keyLabel } = credentials;
  const chain = parseChain(credentials.chainPem, chainLabel);
  const leaf = chain[0];
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now > notAfter)
    throw new SigningCertificateError(
      chainLabel,
      `the signing certificate (${cn(leaf.subject)}) expired on ${notAfter.toISOString()}; renew it with your CA (or ${INIT_HINT}) and set the new chain and key`,
    );
  if (now < notBefore)
    throw new SigningCertificateError(
      chainLabel,
      `the signing certificate (${cn(leaf.subject)}) is valid only from ${notBefore.toISOString()}; check this machine's clock or wait`,
    );
  if (leaf.ca)
    throw new SigningCertificateError(
      chainLabel,
      `the first certificate (${cn(leaf.subject)}) is a CA certificate; put the signing certificate first, then its CA`,
    );
  if (chain.length === 1 && leaf.checkIssued(leaf))
    throw new SigningCertificateError(
      chainLabel,
      `the signing certificate is self-signed, which C2PA validators reject; ${INIT_HINT}`,
    );
  const ekus = extendedKeyUsage(leaf);
  if (!ekus.some((e) => C2PA_EKUS.includes(e)))
    throw new SigningCertificateError(
      chainLabel,
      `the signing certificate lacks an extended key usage C2PA accepts (documentSigning 1.3.6.1.5.5.7.3.36 or emailProtection); ${INIT_HINT}`,
    );
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey))
      throw new SigningCertificateError(
        chainLabel,
        `certificate ${i + 1} (${cn(chain[i].subject)}) is not signed by certificate ${i + 2} (${cn(chain[i + 1].subject)}); list the signing certificate first, then each issuer in order`,
      );
  }
  const key = parseKey(credentials.keyPem, keyLabel);
  if (!leaf.checkPrivateKey(key))
    throw new SigningCertificateError(
      keyLabel,
      `this key does not belong to the signing certificate (${cn(leaf.subject)}) in ${chainLabel}; set the key made with that certificate`,
    );
  const fit = algorithmProblem(credentials.algorithm, key);
  if (fit) throw new SigningCertificateError('provenance.algorithm (REELCAST_C2PA_ALGORITHM)', fit);
  return { subject: leaf.subject, issuer: leaf.issuer, notAfter, fingerprint: leaf.fingerprint256 };
}

function parseChain(pem: string, label: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new SigningCertificateError(
      label,
      `holds no PEM certificate (-----BEGIN CERTIFICATE-----); ${INIT_HINT}`,
    );
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new SigningCertificateError(
        label,
        `certificate ${i + 1} cannot be read: ${(err as Error).message}`,
      );
    }
  });
}

function parseKey(pem: string, label: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // Not the library's message: it could quote part of the key.
    throw new SigningCertificateError(
      label,
      'is not a readable PEM private key (unencrypted PKCS#8 or SEC1/PKCS#1)',
    );
  }
}

function extendedKeyUsage(cert: X509Certificate): string[] {
  const c = cert as X509Certificate & { extKeyUsage?: string[] };
  return c.extKeyUsage ?? c.keyUsage ?? [];
}

function algorithmProblem(algorithm: SigningAlgorithm, key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const wants: Record<SigningAlgorithm, [string[], string | undefined, string]> = {
    es256: [['ec'], 'prime256v1', 'an EC P-256 key'],
    es384: [['ec'], 'secp384r1', 'an EC P-384 key'],
    es512: [['ec'], 'secp521r1', 'an EC P-521 key'],
    ps256: [['rsa', 'rsa-pss'], undefined, 'an RSA key'],
    ps384: [['rsa', 'rsa-pss'], undefined, 'an RSA key'],
    ps512: [['rsa', 'rsa-pss'], undefined, 'an RSA key'],
    ed25519: [['ed25519'], undefined, 'an Ed25519 key'],
  };
  const [types, wantCurve, what] = wants[algorithm];
  if (types.includes(type ?? '') && (!wantCurve || curve === wantCurve)) return undefined;
  const have = type === 'ec' ? `an EC ${curve} key` : `a ${type} key`;
  return `${algorithm} needs ${what}, but the key is ${have}; set the algorithm that fits the key (P-256: es256, P-384: es384, RSA: ps256)`;
}

/** The CN of a subject or issuer, for messages. */
function cn(name: string): string {
  return /CN=([^\n,]+)/.exec(name)?.[1] ?? name.replace(/\n/g, ', ');
}
