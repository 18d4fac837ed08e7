/**
 * Content Credentials: a signed C2PA manifest on every rendition (c2pa-python in a long-lived
 * process per worker), the signing certificate's checks, and the one disclosure policy.
 */
export { checkCredentials, configuredCredentials, type SigningCredentials } from './certificates';
export { DISCLOSURE_ASSERTION, disclosurePolicy, type DisclosurePolicy } from './disclosure';
export * from './errors';
export { renditionManifest, TRAINED_ALGORITHMIC_MEDIA, type RenditionFacts } from './manifest';
export { C2paService, type ReadResult } from './service';
export {
  c2paPython,
  NO_SIGNING,
  openRenditionSigner,
  signRendition,
  type ProvenanceFacts,
  type RenditionSigner,
} from './signer';
