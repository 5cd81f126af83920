import { GradCamError } from '../errors';

/**
 * Checks the parts of an options object that would otherwise fail as a TypeError or be read
 * by JavaScript truthiness: the object itself (`null`, a string…), the callbacks and the
 * switches it names. Each problem found is a `BAD_OPTION`.
 *
 * @param options What the caller passed as options.
 * @param callbacks The names of its fields that must be functions when present.
 * @param switches The names of its fields that must be `true` or `false` when present (so
 *   that `normalize: 0` or `relu: 'no'` is refused, not taken as false or true).
 */
export function checkOptionsObject(options: unknown, callbacks: readonly string[] = [], switches: readonly string[] = []): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new GradCamError('BAD_OPTION', `options must be an object (or omitted), got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`);
  }
  for (const name of callbacks) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new GradCamError('BAD_OPTION', `${name} must be a function, got ${value === null ? 'null' : typeof value}.`);
    }
  }
  for (const name of switches) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new GradCamError('BAD_OPTION', `${name} must be true or false, got ${JSON.stringify(value) ?? typeof value}.`);
    }
  }
}

/**
 * An option that counts something (a batch size, a number of channels or steps): `fallback` when
 * omitted, else it must be a positive integer.
 *
 * @throws GradCamError `BAD_OPTION` naming the option and the value.
 */
export function positiveIntegerOption(name: string, value: number | undefined, fallback: number): number;
export function positiveIntegerOption(name: string, value: number | undefined): number | undefined;
export function positiveIntegerOption(name: string, value: number | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new GradCamError('BAD_OPTION', `${name} must be a positive integer, got ${value}.`);
  return value;
}
