import { GradCamError } from '../errors';
import { messageOf } from './message';

/** The `sharp` function, typed from the dev copy; users get it only if they install it. */
export type SharpFactory = typeof import('sharp').default;

let loading: Promise<SharpFactory> | undefined;

/**
 * Loads the optional peer dependency `sharp` on first use, so that the rest of the Node entry
 * (the model loader) works without it.
 *
 * @throws GradCamError `BAD_INPUT` saying how to install sharp when it cannot be loaded.
 */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= importSharp().catch((err: unknown) => {
    loading = undefined; // a later call may retry, e.g. after installing it
    throw err;
  });
  return loading;
}

async function importSharp(): Promise<SharpFactory> {
  let mod: unknown;
  try {
    mod = await import('sharp');
  } catch (err) {
    throw new GradCamError(
      'BAD_INPUT',
      'Reading and writing images needs the optional dependency "sharp": run `npm install sharp`. ' +
        `(It could not be loaded: ${messageOf(err).split('\n')[0]})`,
    );
  }
  // ESM gives { default: sharp }; a CommonJS require may give the function itself.
  const candidate = (mod as { default?: unknown }).default ?? mod;
  if (typeof candidate !== 'function') {
    throw new GradCamError('BAD_INPUT', 'The installed "sharp" does not export its usual function; reinstall it with `npm install sharp`.');
  }
  return candidate as unknown as SharpFactory;
}
