/**
 * Preloaded into the aggregator's process by the end-to-end benchmark's `--cpu-prof` run
 * (`NODE_OPTIONS=--import=<this file>`, since `--cpu-prof` itself is not allowed in NODE_OPTIONS and
 * test-support's aggregator-process.ts fixes the command line): samples the process with the
 * in-process inspector from start to exit and writes a `.cpuprofile` into `TANDEM_CPU_PROFILE_DIR`.
 * Plain JavaScript: it runs before tsx is loaded.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.TANDEM_CPU_PROFILE_DIR;
if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // The in-process session answers synchronously, so this works in an 'exit' handler.
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error === null && result !== undefined) {
        writeFileSync(join(dir, `aggregator-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      }
    });
  });
}
