/**
 * The content classifier's thread (classifier.ts starts it): lowers its own priority, loads the
 * model, says it is ready, then classifies the frames each message brings, one batch at a time.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadInThisThread } from './classifier';

const port = parentPort!;
const { niceness } = (workerData as { data: { niceness: number } }).data;

/**
 * Linux gives each thread its own nice value: setpriority on this thread's id (read from
 * /proc/thread-self) lowers this thread only, not the worker process. Elsewhere it stays as is.
 */
function lowerThisThreadsPriority(): void {
  if (!niceness) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, niceness);
  } catch {
    // Only the order in which the CPU serves threads changes, never the scores.
  }
}

lowerThisThreadsPriority();
loadInThisThread().then(
  (classifier) => {
    port.postMessage({ type: 'ready', info: classifier.info });
    port.on('message', ({ id, frames }: { id: number; frames: Uint8Array[] }) => {
      classifier.classify(frames).then(
        (scores) => port.postMessage({ type: 'scores', id, scores }),
        (err: Error) => port.postMessage({ type: 'failed', id, message: err.message }),
      );
    });
  },
  (err: Error) =>
    port.postMessage({ type: 'failed', message: `the content classifier did not load: ${err.message}` }),
);
