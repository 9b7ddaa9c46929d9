import { Command, type CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { renderDataFlowDocument } from '../../spec/data-flow-document.js';
import { flows } from '../../spec/flows.js';

export function docCommand(): CommandUnknownOpts {
  return new Command('doc')
    .description("print Tandem's data-flow document, generated from the flow definitions")
    .addOption(
      new Option('--format <format>', 'markdown, or json for the flow data itself')
        .choices(['markdown', 'json'])
        .default('markdown'),
    )
    .action((options) => {
      const text = options.format === 'json' ? `${JSON.stringify(flows, null, 2)}\n` : renderDataFlowDocument();
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
