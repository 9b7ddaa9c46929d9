import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { prepareUnlink } from '../../engine/record-actions.js';
import { timeOrderedIds } from '../../engine/time-ordered-id.js';
import { confirmOrStop } from '../confirm.js';
import { CliFailure } from '../failure.js';
import { parseRecordRef } from '../record-argument.js';
import { openStateForChange } from '../tenant.js';

export function unlinkCommand(): CommandUnknownOpts {
  return new Command('unlink')
    .description(
      'take a record out of what it is linked to (a wrong link, or a record deleted in one system), after asking',
    )
    .argument('<record>', 'the record as system:type:id, e.g. zendesk:organization:381220')
    .option('--yes', 'do not ask (for scripts)')
    .action(async (recordText, options) => {
      const ref = parseRecordRef(recordText);
      const state = await openStateForChange(loadConfig());
      const { store } = state;
      try {
        const change = await prepareUnlink(store, ref, new Date().toISOString(), timeOrderedIds());
        if ('refused' in change) throw new CliFailure(change.refused);
        process.stdout.write(`${change.description.join('\n')}\n`);
        await confirmOrStop('Unlink it?', options);
        await change.apply();
        process.stdout.write(`unlinked; \`tandem explain ${recordText}\` shows it\n`);
      } finally {
        await state.close();
      }
    });
}
