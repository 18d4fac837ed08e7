import type { Command } from 'commander';
import { register as preview } from './preview';
import { register as validate } from './validate';

/**
 * Each command lives in its own file under cli/commands/ and exports `register(program)`.
 * Add a new command by importing its register function here.
 */
export const COMMANDS: Array<(program: Command) => void> = [validate, preview];
