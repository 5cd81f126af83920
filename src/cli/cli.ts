import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the layers and the gradients the explainer needs
import { version } from '../index';
import { messageOf } from '../node/message';
import { type Command, UsageError, parseCommandLine } from './args';
import { useBackend } from './backend';
import { type CliIO, runExplain } from './explain';
import { PROGRAM, USAGE, helpText } from './help';

export type { CliIO } from './explain';

/**
 * Runs the `tfjs-gradcam` command with the arguments after the program name.
 *
 * @returns The exit status: 0 success, 1 something failed, 2 a command-line mistake.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (err) {
    return usageError(err, io);
  }
  if (command.kind === 'help') {
    io.stdout.write(helpText());
    return 0;
  }
  if (command.kind === 'version') {
    io.stdout.write(`${PROGRAM} ${version}\n`);
    return 0;
  }
  // Silences tfjs's "running in Node" banner.
  tf.env().set('PROD', true);
  try {
    await useBackend(command.args.backend, io.stderr);
    return await runExplain(command.args, io);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err, io);
    io.stderr.write(`${PROGRAM}: ${messageOf(err)}\n`);
    return 1;
  }
}

function usageError(err: unknown, io: CliIO): number {
  const message = messageOf(err);
  io.stderr.write(`${PROGRAM}: ${message}\n${USAGE}\nTry '${PROGRAM} --help' for more information.\n`);
  return 2;
}
