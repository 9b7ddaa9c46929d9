/**
 * Asks before a command changes the state by hand. `--yes` answers for scripts; without it the
 * question is read from standard input (a pipe answers it too), and anything but yes changes nothing.
 */
import { createInterface } from 'node:readline/promises';
import { CliFailure } from './failure.js';

export async function confirmOrStop(
  question: string,
  options: { readonly yes?: boolean | undefined },
  io: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<void> {
  if (options.yes === true) return;
  const prompt = createInterface({ input: io.input, output: io.output, terminal: false });
  let answer = '';
  try {
    io.output.write(`${question} [y/N] `);
    // An input that ends without a line (a closed pipe, /dev/null) answers no.
    answer = await new Promise<string>((resolve) => {
      prompt.once('line', resolve);
      prompt.once('close', () => resolve(''));
    });
  } finally {
    prompt.close();
  }
  if (!/^(y|yes)$/i.test(answer.trim())) {
    throw new CliFailure('not confirmed: nothing changed (answer y, or pass --yes in scripts)');
  }
}
