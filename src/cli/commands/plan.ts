import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { describeStateLocation } from '../../store/open-store.js';
import { createLogger } from '../logger.js';
import { planLines } from '../report-text.js';
import { openTenant } from '../tenant.js';

export function planCommand(): CommandUnknownOpts {
  return new Command('plan')
    .description(
      'dry run of the next cycle: what would be linked, created and updated in each system, and why; writes nothing',
    )
    .option('--sweep', 'plan from a full read instead of only the changes')
    .option('--json', 'print the plan as JSON')
    .action(async (options) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      // A plan takes no lock and creates no state: with none yet it plans a first sync from nothing.
      const tenant = await openTenant(config, logger, {}, 'dry-run');
      try {
        if (!tenant.stateExists) {
          logger.info(
            `there is no state yet at ${describeStateLocation(config.db)}: planning a first sync; nothing is written`,
          );
        }
        await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);
        const report = await tenant.engine.plan({ sweep: options.sweep === true });
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : `${planLines(report, 'would').join('\n')}\n`,
        );
      } finally {
        await tenant.close();
      }
    });
}
