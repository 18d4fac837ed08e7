/**
 * Storage keys of a rendition, its poster and its preview, derived only from what determines the
 * bytes: the master clip, the preset (every setting), the fit mode, the watermark's content and
 * placement and the caption text. A retry or a replay computes the same keys and finds the
 * rendition already there. The post id is deliberately not part of it: two posts that share a
 * master and options share the rendition.
 */
import { createHash } from 'node:crypto';
import { masterName, posterKey, previewKey, renditionKey } from '../storage/keys';
import type { ChannelPreset, FitMode, FrameRateMode } from './presets';

/** Bump when the encode changes in a way the preset table does not show (filter graph, tags...). */
export const RENDITION_FORMAT_VERSION = 1;

export interface RenditionIdentity {
  masterKey: string;
  preset: ChannelPreset;
  fit: FitMode;
  /** Hashed only when not the default duplicate, so adding the option changed no existing key. */
  frameRate?: FrameRateMode;
  watermark?: { sha256: string; position: string; scale: number; opacity: number };
  caption?: string;
  /** The Content Credentials' identity (RenditionSigner.identity); hashed only when signed. */
  provenance?: string;
}

export interface RenditionKeys {
  renditionKey: string;
  posterKey: string;
  previewKey: string;
}

export function renditionKeys(identity: RenditionIdentity): RenditionKeys {
  const digest = createHash('sha256')
    .update(
      JSON.stringify({
        v: RENDITION_FORMAT_VERSION,
        master: identity.masterKey,
        preset: identity.preset,
        fit: identity.fit,
        ...(identity.frameRate && identity.frameRate !== 'duplicate'
          ? { frameRate: identity.frameRate }
          : {}),
        watermark: identity.watermark ?? null,
        caption: identity.caption ?? null,
        ...(identity.provenance ? { provenance: identity.provenance } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return keysOf(identity.masterKey, `${identity.preset.name}-${identity.fit}-${digest}`);
}

/** A master's renditions sit together under its name. */
function keysOf(masterKey: string, name: string): RenditionKeys {
  const master = masterName(masterKey);
  return {
    renditionKey: renditionKey(master, name),
    posterKey: posterKey(master, name),
    previewKey: previewKey(master, name),
  };
}

/**
 * What decides the bytes of an encode besides the master: the frame, encoder and audio settings
 * of a preset. Not its name, limits or safe area: presets that share these (reels, tiktok) share
 * one file. The safe area only matters through the overlays, whose laid-out pixels are hashed.
 */
export type EncodeSettings = Pick<ChannelPreset, 'width' | 'height' | 'fps' | 'video' | 'audio'>;

export function encodeSettings(preset: ChannelPreset): EncodeSettings {
  const { width, height, fps, video, audio } = preset;
  return { width, height, fps, video, audio };
}

export interface SharedRenditionIdentity {
  masterKey: string;
  encode: EncodeSettings;
  fit: FitMode;
  frameRate: FrameRateMode;
  /** The brand image's content and where it lands, in pixels. */
  watermark?: { sha256: string; x: number; y: number; width: number; height: number; opacity: number };
  /** The caption as drawn: its lines, font and where they land. */
  caption?: { lines: string[]; font: string; fontSize: number; x: number; width: number; y: number[] };
  /** The Content Credentials' identity (RenditionSigner.identity); hashed only when signed. */
  provenance?: string;
}

/** Keys of a rendition shared by every preset with the same encode: `<w>x<h>-<fit>-<hash>`. */
export function sharedRenditionKeys(identity: SharedRenditionIdentity): RenditionKeys {
  const digest = createHash('sha256')
    .update(JSON.stringify({ v: RENDITION_FORMAT_VERSION, ...identity }))
    .digest('hex')
    .slice(0, 16);
  const { width, height } = identity.encode;
  return keysOf(identity.masterKey, `${width}x${height}-${identity.fit}-${digest}`);
}
