import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../logger.js';
import { ProgressDisplay } from '../progress-display.js';
import { cycleLines } from '../report-text.js';
import { openTenant } from '../tenant.js';

export function syncCommand(): CommandUnknownOpts {
  return new Command('sync')
    .description(
      'run one sync cycle between SuperOffice and Zendesk, then exit (0 when the cycle completed, even if some records were refused: they are listed)',
    )
    .option('--sweep', 'read every record instead of only the changes (catches edits no change feed reports)')
    .option('--json', 'print the cycle report as JSON')
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const progress = options.json ? undefined : new ProgressDisplay();
      const tenant = await openTenant(config, logger, {
        engine: { onProgress: (event) => progress?.update(event) },
      });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);
        const report = await tenant.engine.runCycle({ sweep: options.sweep === true, signal: stop.signal });
        progress?.stop();
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${cycleLines(report).join('\n')}\n`,
        );
      } finally {
        progress?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await tenant.close();
      }
    });
}
