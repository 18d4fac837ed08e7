import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TRAINED_ALGORITHMIC_MEDIA, type ReadResult } from '../../activities/provenance';
import { resolveC2paPython } from '../../services/tools';

const ROOT = join(__dirname, '..', '..');

/**
 * Reads and validates a file's Content Credentials with c2pa-python's Reader directly (the
 * independent reader: test/harness/c2pa_reader.py), against the trust anchors in `anchorsFile`.
 */
export async function readContentCredentials(file: string, anchorsFile?: string): Promise<ReadResult> {
  const python = await resolveC2paPython({ root: ROOT });
  const { stdout } = await promisify(execFile)(
    python,
    [join(__dirname, 'c2pa_reader.py'), file, ...(anchorsFile ? [anchorsFile] : [])],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as ReadResult;
}

type Action = { action: string; digitalSourceType?: string; softwareAgent?: Record<string, string> };

/** The manifest's actions, by name. */
export function actionsOf(read: ReadResult): Record<string, Action> {
  const actions = (read.manifest?.assertions?.find((a) => a.label === 'c2pa.actions.v2')?.data.actions ??
    []) as Action[];
  return Object.fromEntries(actions.map((a) => [a.action, a]));
}

export { TRAINED_ALGORITHMIC_MEDIA };
