import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command lives in its own file under cli/commands/ and exports `register(program)`; this
 * list names the top-level commands each file registers (test/unit/cli-commands.test.ts keeps
 * it true). Files load only when needed, so `reelcast validate` does not load the Temporal, S3
 * and ONNX libraries. Listed in the order a person meets them: try it, check the calendars, run
 * the pipeline, fix failures, operate. Add a new command by adding its file here.
 */
export const COMMAND_FILES: Array<{ names: string[]; load: () => Promise<Register> }> = [
  { names: ['demo'], load: async () => (await import('./demo')).register },
  { names: ['validate'], load: async () => (await import('./validate')).register },
  { names: ['preview'], load: async () => (await import('./preview')).register },
  { names: ['run'], load: async () => (await import('./run')).register },
  { names: ['status', 'approve', 'reject'], load: async () => (await import('./status')).register },
  { names: ['failures', 'replay', 'close'], load: async () => (await import('./failures')).register },
  { names: ['campaign'], load: async () => (await import('./campaign')).register },
  { names: ['schedule'], load: async () => (await import('./schedule')).register },
  { names: ['generate'], load: async () => (await import('./generate')).register },
  { names: ['model'], load: async () => (await import('./model')).register },
  { names: ['transcode'], load: async () => (await import('./transcode')).register },
  { names: ['worker'], load: async () => (await import('./worker')).register },
  { names: ['dev'], load: async () => (await import('./dev')).register },
  { names: ['studio'], load: async () => (await import('./studio')).register },
  { names: ['channels'], load: async () => (await import('./channels')).register },
  { names: ['doctor'], load: async () => (await import('./doctor')).register },
  { names: ['config'], load: async () => (await import('./config')).register },
  { names: ['tools'], load: async () => (await import('./tools')).register },
  { names: ['provenance'], load: async () => (await import('./provenance')).register },
];
