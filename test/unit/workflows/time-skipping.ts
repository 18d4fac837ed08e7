/**
 * Temporal's time-skipping test server for the workflow timing tests: a 30-day timer fires as soon
 * as the workflow has nothing else to do, so deadlines, lateness and expiry are tested in seconds.
 *
 * The SDK would download its test server from outside at run time; the tool cache holds the Java
 * build from Maven Central instead (services/tools.ts installs it, here too when it is missing),
 * and the SDK starts it as an existing executable.
 */
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTemporalTestServer } from '../../../services/tools';
import { SEARCH_ATTRIBUTES } from '../../../workflows/queues';

let runtimeInstalled = false;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    try {
      // The workers' own chatter buries a failing test's output.
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // A runtime exists already (the replay recorder's): it keeps its logger.
    }
  }
  const path = await resolveTemporalTestServer({ log: (line) => process.stderr.write(`${line}\n`) });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  // The workflows set these; the test server knows only those it is told about.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [
        name,
        type === 'Text'
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}
