import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { retryWrites } from '../../engine/record-actions.js';
import { CliFailure } from '../failure.js';
import { parseRecordTarget } from '../record-argument.js';
import { openStateForChange } from '../tenant.js';

export function retryCommand(): CommandUnknownOpts {
  return new Command('retry')
    .description(
      "make a record's failed writes (or every failed write) due now; the next cycle plans the record again and sends what is still needed",
    )
    .argument('[record]', 'the record as system:type:id (e.g. superoffice:contact:14), or an entity id')
    .option('--failed', 'every write that failed, for all records')
    .action(async (recordText, options) => {
      if ((recordText === undefined) === (options.failed !== true)) {
        throw new CliFailure('name one record (e.g. tandem retry superoffice:contact:14) or pass --failed, not both');
      }
      const target = recordText === undefined ? 'every-failed' : parseRecordTarget(recordText);
      const state = await openStateForChange(loadConfig());
      const { store } = state;
      try {
        const result = await retryWrites(store, target, new Date().toISOString());
        if ('refused' in result) throw new CliFailure(result.refused);
        const what = recordText ?? 'every record';
        process.stdout.write(
          result.keys.length === 0
            ? `nothing had failed for ${what}; it is planned again on the next cycle\n`
            : `${result.keys.length} failed write${result.keys.length === 1 ? '' : 's'} of ${what} ${result.keys.length === 1 ? 'is' : 'are'} due now: the next cycle (\`tandem sync\`, or a running \`tandem run\`) sends ${result.keys.length === 1 ? 'it' : 'them'}\n`,
        );
      } finally {
        await state.close();
      }
    });
}
