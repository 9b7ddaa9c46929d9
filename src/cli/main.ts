/**
 * The `tandem` command line. Each command lives in its own file under ./commands; this file only
 * assembles them and turns failures into an exit code (see ./failure.ts).
 */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { docCommand } from './commands/doc.js';
import { explainCommand } from './commands/explain.js';
import { planCommand } from './commands/plan.js';
import { relinkCommand } from './commands/relink.js';
import { retryCommand } from './commands/retry.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { unlinkCommand } from './commands/unlink.js';
import { reportFailure } from './failure.js';

export function buildProgram(): CommandUnknownOpts {
  const program = new Command('tandem')
    .description('Tandem keeps SuperOffice CRM and Zendesk Support in agreement, both ways.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const command of [
    demoCommand(),
    syncCommand(),
    runCommand(),
    planCommand(),
    checkCommand(),
    statusCommand(),
    explainCommand(),
    retryCommand(),
    relinkCommand(),
    unlinkCommand(),
    docCommand(),
    simulateCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
  // Every command has finished its work and closed what it opened by now. A rate-limit timer a
  // library leaves behind must not keep the process alive; the grace period lets output drain.
  setTimeout(() => process.exit(), 200).unref();
}

await main();
