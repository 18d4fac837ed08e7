import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifierLoads } from '../../activities/safety';
import { loadConfig } from '../../config';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { taskQueues } from '../../workflows/queues';
import { selfCheck } from '../../workflows/self-check';

/** `temporal workflow list` from the real CLI, as a person would run it. */
function listWithCli(workflowId: string): Array<{ execution: { workflowId: string }; status: string }> {
  const out = execFileSync(
    process.env.REELCAST_TEMPORAL_BIN!,
    [
      'workflow',
      'list',
      '--address',
      process.env.TEMPORAL_ADDRESS!,
      '--query',
      `WorkflowId="${workflowId}"`,
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  return out.trim() ? JSON.parse(out) : [];
}

describe('smoke: a real workflow on the real dev server, storing in the real S3 server', () => {
  const config = loadConfig();
  const TASK_QUEUES = taskQueues(config.temporal.taskQueue);

  it('runs the self-check on every queue; the CLI lists it while it runs; the object is in S3', async () => {
    const client = await connectClient(config);
    const workflowId = `smoke-${Date.now()}`;
    // Started before any worker runs, so it is certainly still running when the CLI looks.
    const handle = await client.workflow.start(selfCheck, {
      taskQueue: TASK_QUEUES.workflows,
      workflowId,
      args: [{ queues: ['gpu', 'media', 'publish'] }],
    });

    let listed: ReturnType<typeof listWithCli> = [];
    for (let i = 0; i < 40 && listed.length === 0; i++) {
      listed = listWithCli(workflowId);
      if (listed.length === 0) await sleep(250);
    }
    expect(listed).toHaveLength(1);
    expect(listed[0].execution.workflowId).toBe(workflowId);
    expect(listed[0].status).toMatch(/RUNNING/);

    const connection = await connectWorker(config);
    const workers = await createWorkers(config, connection);
    // A media worker loads the content classifier before it takes work, not on the first post.
    expect(classifierLoads()).toBe(1);
    const running = workers.run();
    try {
      const result = await handle.result();
      expect(result.probes.map((p) => p.queue).sort()).toEqual(
        [TASK_QUEUES.gpu, TASK_QUEUES.media, TASK_QUEUES.publish, TASK_QUEUES.workflows].sort(),
      );
      for (const probe of result.probes) expect(probe.storage).toBe('s3');
      expect(result.failed).toEqual([]);
    } finally {
      workers.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
    }

    // Read back with a plain S3 client, not our storage layer: the object really is on the server.
    const s3 = new S3Client({
      endpoint: process.env.S3_ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: process.env.S3_ACCESS_KEY_ID!,
        secretAccessKey: process.env.S3_SECRET_ACCESS_KEY!,
      },
    });
    const object = await s3.send(
      new GetObjectCommand({ Bucket: process.env.S3_BUCKET, Key: 'probes/reelcast-gpu.json' }),
    );
    const body = JSON.parse(await object.Body!.transformToString());
    expect(body.workflowId).toBe(workflowId);
    s3.destroy();

    expect(listWithCli(workflowId)[0].status).toMatch(/COMPLETED/);
  });
});
