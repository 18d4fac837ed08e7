import { disclosurePolicy } from '../provenance/disclosure';

/**
 * The caption as published: text, then the AI disclosure line when the calendar asks for one
 * (the one disclosure policy: activities/provenance/disclosure.ts).
 * Each channel's caption rules are in the channel table (activities/publish/channel-table.ts).
 */
export function withDisclosure(caption: string, disclosure: string | undefined): string {
  const line = disclosurePolicy(disclosure).captionLine;
  return line ? `${caption}\n\n${line}` : caption;
}
