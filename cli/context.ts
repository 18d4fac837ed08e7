import { loadConfig, type ReelcastConfig } from '../config';
import { withRunningStack } from '../services/stack';

/** The config every command starts from: file + environment, plus a running `dev up` stack. */
export function commandConfig(): ReelcastConfig {
  return withRunningStack(loadConfig());
}

/** Progress lines for people, on stderr so stdout stays clean for --json. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}
