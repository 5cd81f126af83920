import { GradCamError } from '../errors';

/**
 * Size limits of a model's files, checked before anything is read into memory. The defaults
 * fit every Keras application model (VGG16's weights, the largest, are about 528 MB).
 */
export interface ModelSizeLimits {
  /** Largest `model.json` accepted, in bytes. Default {@link DEFAULT_MAX_MODEL_JSON_BYTES} (64 MiB). */
  maxModelJsonBytes?: number;
  /** Largest total of the weight files accepted, in bytes. Default {@link DEFAULT_MAX_WEIGHT_BYTES} (1 GiB). */
  maxWeightBytes?: number;
}

/** Default limit of a `model.json`'s size: 64 MiB. */
export const DEFAULT_MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** Default limit of the weight files' total size: 1 GiB. */
export const DEFAULT_MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;

/** Bytes per stored element, by dtype (a quantized weight is stored in its quantization dtype). */
const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  float16: 2,
  uint16: 2,
  uint8: 1,
};

/** What a manifest entry needs for its size: a shape, a dtype, maybe a quantization dtype. */
interface SizedEntry {
  readonly name?: unknown;
  readonly shape?: unknown;
  readonly dtype?: unknown;
  readonly quantization?: unknown;
}

/**
 * The limits with their defaults filled in, checked. @internal
 *
 * @throws GradCamError `BAD_OPTION` for a limit that is not a positive integer.
 */
export function resolveSizeLimits(limits: ModelSizeLimits = {}): Required<ModelSizeLimits> {
  const pick = (name: keyof ModelSizeLimits, fallback: number): number => {
    const value = limits[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new GradCamError('BAD_OPTION', `${name} must be a positive whole number of bytes, got ${String(value)}.`);
    }
    return value;
  };
  return {
    maxModelJsonBytes: pick('maxModelJsonBytes', DEFAULT_MAX_MODEL_JSON_BYTES),
    maxWeightBytes: pick('maxWeightBytes', DEFAULT_MAX_WEIGHT_BYTES),
  };
}

/**
 * The number of bytes a weights manifest's entries need, from their shapes and dtypes, as
 * tfjs lays them out (no padding between weights). @internal
 *
 * @param entries Every weight entry of the manifest, in order.
 * @param source Names the model in error messages.
 * @throws GradCamError `BAD_INPUT` for an entry whose shape is not a list of non-negative
 *   integers, whose dtype has no fixed size (e.g. `string`), or when the total passes 2^53.
 */
export function expectedWeightBytes(entries: readonly SizedEntry[], source: string): number {
  let total = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? `"${entry.name}"` : '(unnamed)';
    const bad = (why: string): GradCamError => new GradCamError('BAD_INPUT', `Cannot load the model: the weight ${name} in ${source} ${why}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(`has the shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers.`);
    }
    const quantization = entry.quantization as { dtype?: unknown } | undefined;
    const dtype = quantization !== undefined && quantization !== null ? quantization.dtype : entry.dtype;
    const size = typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(BYTES_PER_ELEMENT, dtype) ? BYTES_PER_ELEMENT[dtype] : undefined;
    if (size === undefined) throw bad(`has the dtype ${JSON.stringify(dtype)}, which has no fixed size (expected one of ${Object.keys(BYTES_PER_ELEMENT).join(', ')}).`);
    const bytes = (shape as number[]).reduce((a, d) => a * d, size);
    total += bytes;
    if (!Number.isSafeInteger(total)) throw bad(`makes the weights larger than 2^53 bytes: the manifest is not a real model's.`);
  }
  return total;
}

/**
 * Checks the weight files' sizes against the manifest and the limit, before they are read:
 * the manifest's declared size must not pass `maxWeightBytes`, and the files must hold exactly
 * the bytes it declares (a short file would leave weights undefined; a long one hides data). @internal
 *
 * @param entries The manifest's weight entries, in order.
 * @param fileBytes The size of each weight file, in the manifest's order.
 * @param maxWeightBytes The limit (see {@link ModelSizeLimits}).
 * @param source Names the model in error messages.
 * @returns The total number of weight bytes.
 * @throws GradCamError `BAD_INPUT` saying what the manifest declares and what the files hold.
 */
export function checkWeightBytes(entries: readonly SizedEntry[], fileBytes: readonly number[], maxWeightBytes: number, source: string): number {
  const expected = expectedWeightBytes(entries, source);
  const actual = fileBytes.reduce((a, b) => a + b, 0);
  const over = Math.max(expected, actual);
  if (over > maxWeightBytes) {
    const which = expected >= actual ? 'its manifest declares' : 'its weight files hold';
    throw new GradCamError(
      'BAD_INPUT',
      `Cannot load the model ${source}: ${which} ${over} bytes of weights, above the limit of ${maxWeightBytes} bytes; raise maxWeightBytes if you trust this model.`,
    );
  }
  if (expected !== actual) {
    throw new GradCamError(
      'BAD_INPUT',
      `Cannot load the model ${source}: its manifest's shapes and dtypes need ${expected} bytes of weights, but the weight files hold ${actual} bytes (${actual < expected ? 'truncated or missing data' : 'extra data'}).`,
    );
  }
  return actual;
}
