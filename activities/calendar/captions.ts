/**
 * The caption as published: text, then the AI disclosure line when the calendar asks for one.
 * Each channel's caption rules are in the channel table (activities/publish/channel-table.ts).
 */
export function withDisclosure(caption: string, disclosure: string | undefined): string {
  return disclosure ? `${caption}\n\n${disclosure}` : caption;
}
