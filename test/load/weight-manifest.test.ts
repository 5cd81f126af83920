import { GradCamError } from '../../src';
import {
  DEFAULT_MAX_MODEL_JSON_BYTES,
  DEFAULT_MAX_WEIGHT_BYTES,
  checkWeightBytes,
  expectedWeightBytes,
  resolveSizeLimits,
} from '../../src/load/weight-manifest';

function errorOf(f: () => unknown): GradCamError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(GradCamError);
    return err as GradCamError;
  }
  throw new Error('expected a GradCamError');
}

describe('expectedWeightBytes', () => {
  it('adds shape × bytes per element, using the quantization dtype when there is one', () => {
    const entries = [
      { name: 'k', shape: [3, 3, 2, 4], dtype: 'float32' }, // 72 × 4
      { name: 'b', shape: [4], dtype: 'int32' }, // 16
      { name: 'q8', shape: [10], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }, // 10
      { name: 'q16', shape: [5], dtype: 'float32', quantization: { dtype: 'float16' } }, // 10
      { name: 'scalar', shape: [], dtype: 'float32' }, // 4
      { name: 'empty', shape: [0, 7], dtype: 'float32' }, // 0
      { name: 'flag', shape: [3], dtype: 'bool' }, // 3
    ];
    expect(expectedWeightBytes(entries, 'm.json')).toBe(288 + 16 + 10 + 10 + 4 + 0 + 3);
  });

  it.each([
    [{ name: 'w', shape: [-1, 3], dtype: 'float32' }, /"w" .*shape \[-1,3\]/],
    [{ name: 'w', shape: [1.5], dtype: 'float32' }, /shape \[1\.5\]/],
    [{ name: 'w', shape: 'big', dtype: 'float32' }, /shape "big"/],
    [{ name: 'w', shape: [2], dtype: 'string' }, /dtype "string", which has no fixed size/],
    [{ name: 'w', shape: [2], dtype: 'toString' }, /dtype "toString"/],
    [{ shape: [2] }, /\(unnamed\) .*dtype undefined/],
    [{ name: 'w', shape: [2 ** 30, 2 ** 30, 2 ** 10], dtype: 'float32' }, /larger than 2\^53 bytes/],
  ])('refuses %j', (entry, message) => {
    const err = errorOf(() => expectedWeightBytes([entry], 'm.json'));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(message);
    expect(err.message).toContain('m.json');
  });
});

describe('checkWeightBytes', () => {
  const entries = [{ name: 'w', shape: [2, 3], dtype: 'float32' }]; // 24 bytes

  it('returns the total when the files hold exactly what the manifest needs', () => {
    expect(checkWeightBytes(entries, [10, 14], 1000, 'm.json')).toBe(24);
    expect(checkWeightBytes([], [], 1, 'm.json')).toBe(0);
  });

  it('refuses short and long files, saying which', () => {
    expect(errorOf(() => checkWeightBytes(entries, [20], 1000, 'm.json')).message).toMatch(/need 24 bytes .* hold 20 bytes \(truncated or missing data\)/);
    expect(errorOf(() => checkWeightBytes(entries, [10, 15], 1000, 'm.json')).message).toMatch(/need 24 bytes .* hold 25 bytes \(extra data\)/);
  });

  it('refuses a manifest or files above the limit, naming the option that raises it', () => {
    const huge = [{ name: 'w', shape: [1e6, 1e6], dtype: 'float32' }];
    expect(errorOf(() => checkWeightBytes(huge, [24], 1000, 'm.json')).message).toMatch(/manifest declares 4000000000000 bytes .* limit of 1000 bytes; raise maxWeightBytes/);
    expect(errorOf(() => checkWeightBytes(entries, [2000], 1000, 'm.json')).message).toMatch(/weight files hold 2000 bytes of weights, above the limit/);
    expect(checkWeightBytes(entries, [24], 24, 'm.json')).toBe(24); // the limit itself is allowed
  });
});

describe('resolveSizeLimits', () => {
  it('fills in the documented defaults: 64 MiB and 1 GiB', () => {
    expect(DEFAULT_MAX_MODEL_JSON_BYTES).toBe(67108864);
    expect(DEFAULT_MAX_WEIGHT_BYTES).toBe(1073741824);
    expect(resolveSizeLimits()).toEqual({ maxModelJsonBytes: 67108864, maxWeightBytes: 1073741824 });
    expect(resolveSizeLimits({ maxWeightBytes: 5 })).toEqual({ maxModelJsonBytes: 67108864, maxWeightBytes: 5 });
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, '100'])('refuses the limit %p with BAD_OPTION', (value) => {
    const err = errorOf(() => resolveSizeLimits({ maxModelJsonBytes: value as number }));
    expect(err.code).toBe('BAD_OPTION');
    expect(err.message).toMatch(/maxModelJsonBytes must be a positive whole number of bytes/);
  });
});
