import type { Command } from 'commander';
import { register as campaign } from './campaign';
import { register as config } from './config';
import { register as demo } from './demo';
import { register as dev } from './dev';
import { register as doctor } from './doctor';
import { register as failures } from './failures';
import { register as generate } from './generate';
import { register as preview } from './preview';
import { register as run } from './run';
import { register as schedule } from './schedule';
import { register as status } from './status';
import { register as tools } from './tools';
import { register as transcode } from './transcode';
import { register as validate } from './validate';
import { register as worker } from './worker';

/**
 * Each command lives in its own file under cli/commands/ and exports `register(program)`.
 * Add a new command by importing its register function here. Listed in the order a person
 * meets them: try it, check the calendars, run the pipeline, fix failures, operate.
 */
export const COMMANDS: Array<(program: Command) => void> = [
  demo,
  validate,
  preview,
  run,
  status,
  failures,
  campaign,
  schedule,
  generate,
  transcode,
  worker,
  dev,
  doctor,
  config,
  tools,
];
