import type { Command } from 'commander';
import { register as transcode } from './transcode';

/**
 * Each command lives in its own file under cli/commands/ and exports `register(program)`.
 * Add a new command by importing its register function here.
 */
export const COMMANDS: Array<(program: Command) => void> = [transcode];
