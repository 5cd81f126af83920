import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { messageOf } from '../node/message';
import type { BackendName } from './args';
import { PROGRAM } from './help';
import type { OutputStream } from './progress';

/**
 * Switches tfjs to `name`, falling back from wasm to cpu with a warning. The backends are
 * imported here, on demand: neither is a dependency of the library itself.
 *
 * @returns The backend in use.
 * @throws GradCamError `BAD_INPUT` when neither backend package can be loaded.
 */
export async function useBackend(name: BackendName, stderr: OutputStream): Promise<BackendName> {
  if (name === 'wasm') {
    let why = 'it did not initialize';
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) return 'wasm';
    } catch (err) {
      why = messageOf(err).split('\n')[0];
    }
    stderr.write(`${PROGRAM}: warning: the wasm backend is not available (${why}); using cpu.\n`);
  }
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch {
    throw new GradCamError('BAD_INPUT', 'No tfjs backend could be loaded: run `npm install @tensorflow/tfjs-backend-wasm` (or -cpu).');
  }
  await tf.setBackend('cpu');
  return 'cpu';
}
