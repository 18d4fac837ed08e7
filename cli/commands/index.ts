import type { Command } from 'commander';
import { register as config } from './config';
import { register as demo } from './demo';
import { register as dev } from './dev';
import { register as doctor } from './doctor';
import { register as tools } from './tools';
import { register as worker } from './worker';

/**
 * Each command lives in its own file under cli/commands/ and exports `register(program)`.
 * Add a new command by importing its register function here.
 */
export const COMMANDS: Array<(program: Command) => void> = [demo, worker, dev, doctor, config, tools];
