import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/queues';

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
};

/**
 * Registers the search attributes the workflows set, on servers that were not started by us
 * (the dev server gets them as flags). Returns those it could not add, e.g. on Temporal Cloud
 * where only an admin can; the caller warns.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !have.has(name));
  if (missing.length === 0) return [];
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
    return [];
  } catch {
    return missing.map(([name]) => name);
  }
}
