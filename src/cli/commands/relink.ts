import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { loadConfig } from '../../config/config.js';
import { prepareRelink } from '../../engine/record-actions.js';
import { timeOrderedIds } from '../../engine/time-ordered-id.js';
import { confirmOrStop } from '../confirm.js';
import { CliFailure } from '../failure.js';
import { parseRecordRef } from '../record-argument.js';
import { openStateForChange } from '../tenant.js';

export function relinkCommand(): CommandUnknownOpts {
  return new Command('relink')
    .description(
      'link a record to the record it is in the other system (e.g. a SuperOffice contact to an existing Zendesk organization), after asking',
    )
    .argument('<record>', 'the record to link, as system:type:id, e.g. superoffice:contact:14')
    .argument('<other-record>', 'the record it is, as system:type:id, e.g. zendesk:organization:381220')
    .option('--yes', 'do not ask (for scripts)')
    .action(async (recordText, otherText, options) => {
      const ref = parseRecordRef(recordText);
      const other = parseRecordRef(otherText);
      const state = await openStateForChange(loadConfig());
      const { store } = state;
      try {
        const change = await prepareRelink(store, ref, other, new Date().toISOString(), timeOrderedIds());
        if ('refused' in change) throw new CliFailure(change.refused);
        process.stdout.write(`${change.description.join('\n')}\n`);
        await confirmOrStop('Link them?', options);
        await change.apply();
        process.stdout.write(`linked; \`tandem explain ${recordText}\` shows it, and the next cycle syncs it\n`);
      } finally {
        await state.close();
      }
    });
}
