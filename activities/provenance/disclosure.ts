/**
 * One disclosure policy: the campaign's `aiDisclosure` (calendar or campaign; `false` opts a
 * campaign out) decides, together and never apart, the caption's last line, each platform's
 * AI-generated label (the channel table's `aiLabel` field) and the AI disclosure assertion in the
 * rendition's Content Credentials. Pure, so the plan, the media worker and the tests share it.
 *
 * What it does not decide: the C2PA `c2pa.created` action always says trainedAlgorithmicMedia,
 * and the MP4 `comment` tag always says AI-generated. Those state how the file was made (the
 * machine-readable marking the EU AI Act's Article 50(2) asks of every output); the policy
 * decides what people are shown.
 */

/** The label of Reelcast's disclosure assertion in the C2PA manifest. */
export const DISCLOSURE_ASSERTION = 'com.reelcast.ai-disclosure';

export interface DisclosurePolicy {
  /** The line the caption ends with; undefined: none. */
  captionLine?: string;
  /** Set the platform's AI-generated label (TikTok is_aigc, YouTube containsSyntheticMedia, Instagram). */
  platformLabel: boolean;
  /** The assertion in the rendition's manifest; undefined: none. */
  assertion?: {
    label: typeof DISCLOSURE_ASSERTION;
    data: { disclosed: true; text: string; platformLabel: true };
  };
}

export function disclosurePolicy(aiDisclosure: string | undefined): DisclosurePolicy {
  if (aiDisclosure === undefined || aiDisclosure.trim() === '') return { platformLabel: false };
  return {
    captionLine: aiDisclosure,
    platformLabel: true,
    assertion: {
      label: DISCLOSURE_ASSERTION,
      data: { disclosed: true, text: aiDisclosure, platformLabel: true },
    },
  };
}
