import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { startStack } from '../../services/stack';
import { connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { say } from '../context';
import { runSelfCheck } from './doctor';

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the embedded stack and a worker, run the pipeline once, print where to look')
    .option('--json', 'print a JSON summary as the last line')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      // Detached: the Temporal server (and its Web UI) stay up after the demo for a person to look around.
      const stack = await startStack(config, { detached: true, log: say });
      const connection = await connectWorker(stack.config);
      const workers = await createWorkers(stack.config, connection);
      const running = workers.run();
      try {
        const result = await runSelfCheck(stack.config, stack.config.worker.queues);
        for (const p of result.probes)
          say(`queue ${p.queue.padEnd(18)} worker ok, storage ${p.storage} (${p.key})`);
        for (const f of result.failed) say(`queue ${f.queue.padEnd(18)} FAILED: ${f.reason}`);
        if (result.failed.length > 0) process.exitCode = 1;
        say(
          `Temporal Web UI: ${stack.uiUrl ?? '(external server)'}  (the stack keeps running; stop it with \`reelcast dev down\`)`,
        );
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ temporalUi: stack.uiUrl, probes: result.probes })}\n`);
      } finally {
        workers.shutdown();
        await running;
        await connection.close();
      }
    });
}
