import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { COMMAND_FILES } from '../../cli/commands';
import { buildProgram } from '../../cli/main';

describe('the reelcast command list', () => {
  test('each command file registers exactly the commands the list names (so each loads alone)', async () => {
    for (const file of COMMAND_FILES) {
      const program = new Command();
      (await file.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(file.names);
    }
  });

  test('a known command builds a program with its own file only; help and typos get every command', async () => {
    const names = (p: Command): string[] => p.commands.map((c) => c.name());
    expect(names(await buildProgram('approve'))).toEqual(['status', 'approve', 'reject']);
    const all = names(await buildProgram());
    expect(all).toEqual(COMMAND_FILES.flatMap((f) => f.names));
    expect(names(await buildProgram('--help'))).toEqual(all);
    expect(names(await buildProgram('vaildate'))).toEqual(all);
  });

  test('`reelcast validate` runs without loading Temporal, S3, ONNX or the X client', () => {
    const repo = join(__dirname, '..', '..');
    const heavy = [
      '@temporalio/client',
      '@temporalio/worker',
      '@aws-sdk/client-s3',
      'onnxruntime-node',
      'twitter-api-v2',
    ];
    // The compiled CLI (what `reelcast` runs), asked which packages it loaded by the end.
    const probe = `
      const Module = require('node:module');
      const loaded = new Set();
      const load = Module._load;
      Module._load = function (request, ...rest) { loaded.add(request); return load.call(this, request, ...rest); };
      process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...loaded]) + '\\n'));
      process.argv = [process.argv[0], 'reelcast', 'validate', 'calendars', '--from', '2027-01-01', '--to', '2027-01-31'];
      require('./bin/reelcast.js');
    `;
    const run = spawnSync(process.execPath, ['-e', probe], { cwd: repo, encoding: 'utf8' });
    expect(run.stderr).toContain('ok: ');
    const loaded = JSON.parse(/LOADED (.*)/.exec(run.stderr)![1]) as string[];
    expect(loaded).toContain('handlebars');
    expect(loaded.filter((m) => heavy.includes(m))).toEqual([]);
    expect(run.status).toBe(0);
  });
});

describe('a command that does not exist', () => {
  const repo = join(__dirname, '..', '..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/reelcast.js', ...args], { cwd: repo, encoding: 'utf8' });

  test.each([[['notify']], [['notify', '--help']], [['vaildate', 'calendars']]])(
    '`reelcast %s` says "unknown command" and exits 1',
    (args) => {
      const out = run(...args);
      expect(out.status).toBe(1);
      expect(out.stderr).toMatch(new RegExp(`^reelcast: unknown command '${args[0]}'`));
      expect(out.stdout).toBe('');
    },
  );

  test('a typo gets the closest command', () => {
    expect(run('vaildate').stderr).toContain('(did you mean "validate"?)');
  });

  test('`reelcast --help` still lists the commands and exits 0', () => {
    const out = run('--help');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('schedule');
  });
});
