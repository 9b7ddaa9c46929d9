import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { CliFailure, exitCodes, StoppedBySignal } from '../failure.js';
import { createLogger } from '../logger.js';
import { ProgressDisplay, ProgressLog } from '../progress-display.js';
import { cycleLines } from '../report-text.js';
import { listenForStop } from '../stop-signal.js';
import { openTenant } from '../tenant.js';

export function syncCommand(): CommandUnknownOpts {
  return new Command('sync')
    .description(
      'run one sync cycle between SuperOffice and Zendesk, then exit (0 when the cycle completed, even if some records were refused: they are listed; 130 or 143 when stopped by Ctrl-C or SIGTERM)',
    )
    .option('--sweep', 'read every record instead of only the changes (catches edits no change feed reports)')
    .option('--json', 'print the cycle report as JSON')
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      // Bars on a terminal; elsewhere (and with --json) a progress line in the log every few seconds.
      const bars = options.json ? undefined : new ProgressDisplay();
      const progressLog = new ProgressLog((line) => logger.info(line));
      const tenant = await openTenant(config, logger, {
        engine: {
          onProgress: (event) => {
            const estimate = progressLog.tracker.update(event);
            bars?.update(event, estimate);
          },
        },
      });
      const stop = listenForStop();
      const halt = new AbortController();
      stop.signal.addEventListener('abort', () => halt.abort(stop.signal.reason));
      const lockLost = tenant.lock?.lost;
      lockLost?.addEventListener('abort', () => halt.abort(lockLost.reason));
      try {
        await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);
        if (bars?.active !== true) progressLog.start();
        const report = await tenant.engine.runCycle({ sweep: options.sweep === true, signal: halt.signal });
        bars?.stop();
        progressLog.stop();
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${cycleLines(report).join('\n')}\n`,
        );
      } finally {
        bars?.stop();
        progressLog.stop();
        stop.dispose();
        await tenant.close();
      }
      const signal = stop.received();
      if (signal !== undefined) {
        throw new StoppedBySignal(
          signal,
          'the cycle did not finish; what was done is saved and the next sync goes on from there',
        );
      }
      if (lockLost?.aborted === true) {
        throw new CliFailure(
          `the cycle did not finish: ${String((lockLost.reason as Error | undefined)?.message ?? 'the state lock was lost')}. Run the sync again when the database answers`,
          exitCodes.locked,
        );
      }
    });
}
