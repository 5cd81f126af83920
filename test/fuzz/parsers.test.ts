import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import sharp from 'sharp';
import { parseCommandLine } from '../../src/cli/args';
import { outputStems } from '../../src/cli/inputs';
import { classIndexPerImage } from '../../src/core/class-index';
import { relativePathProblem, resolveWeightUrl } from '../../src/load/url-policy';
import { checkWeightBytes, expectedWeightBytes, resolveSizeLimits } from '../../src/load/weight-manifest';
import { encodeImage } from '../../src/node';
import { checkReadOptions } from '../../src/node/image';
import { RUNS, expectGradCamError, holds, holdsAsync } from './arbitraries';

/**
 * Property-based tests of the pure functions behind the loaders, the image reader and the
 * command line: RUNS (100) seeded cases each. Results are checked against what the function
 * promises; failures must be GradCamErrors with a code.
 */

/** Calls f; returns its result, or undefined after checking that it threw a GradCamError. */
function attempt<R>(f: () => R): R | undefined {
  try {
    return f();
  } catch (err) {
    expectGradCamError(err);
    return undefined;
  }
}

/** Path pieces an attacker would try, and ordinary names. */
const segment = fc.oneof(
  fc.constantFrom('..', '.', '', '%2e%2e', '%2E%2e', '..%2f..', '%2f', '\\..', 'C:', '~', 'a.bin', 'shard1of2', '%00', '%', 'ü.bin', ' '),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/),
);
const weightPath = fc.oneof(
  { weight: 4, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')) },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('//evil.example/w.bin', 'https://evil.example/w.bin', 'http://models.example.com/zoo/net/w.bin', 'file:///etc/passwd', 'javascript:alert(1)') },
  { weight: 1, arbitrary: fc.string() },
);

describe(`loader, image and command-line helpers: ${RUNS} seeded cases per property`, () => {
  const MODEL = 'https://models.example.com/zoo/net/model.json';

  it('resolveWeightUrl: what it accepts lies on the model.json’s server, inside its folder', () => {
    holds(
      fc.property(weightPath, (p) => {
        const url = attempt(() => resolveWeightUrl(MODEL, p));
        if (url === undefined) return;
        const u = new URL(url);
        expect(u.origin).toBe('https://models.example.com');
        expect(u.pathname.startsWith('/zoo/net/')).toBe(true);
        expect(decodeURIComponent(u.pathname).split('/')).not.toContain('..');
      }),
    );
  });

  it('relativePathProblem: a path it accepts resolves inside the folder', () => {
    holds(
      fc.property(weightPath, (p) => {
        if (relativePathProblem(p) !== undefined) return;
        const folder = '/srv/models/net';
        const resolved = path.posix.resolve(folder, p);
        expect(resolved === folder || resolved.startsWith(`${folder}/`)).toBe(true);
        const win = path.win32.resolve('C:\\models\\net', p);
        expect(win.toLowerCase().startsWith('c:\\models\\net')).toBe(true);
      }),
    );
  });

  const dtype = fc.constantFrom<unknown>('float32', 'int32', 'bool', 'complex64', 'string', 'float64', undefined, 3);
  const entry = fc.record(
    {
      name: fc.oneof(fc.string({ maxLength: 5 }), fc.constant<unknown>(7)),
      shape: fc.oneof(
        { weight: 5, arbitrary: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 4 }) as fc.Arbitrary<unknown> },
        { weight: 1, arbitrary: fc.constantFrom<unknown>([-1], [1.5], ['2'], 'big', null, [2 ** 40, 2 ** 40], [Number.NaN]) },
      ),
      dtype,
      quantization: fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, { weight: 1, arbitrary: fc.record({ dtype: fc.constantFrom<unknown>('uint8', 'uint16', 'float16', 'int4') }) }),
    },
    { requiredKeys: ['shape'] },
  );

  it('expectedWeightBytes: a non-negative safe integer, Σ elements × dtype size, or BAD_INPUT', () => {
    const size: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };
    holds(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const bytes = attempt(() => expectedWeightBytes(entries, 'm.json'));
        if (bytes === undefined) return;
        const want = entries.reduce((sum, e) => {
          const d = (e.quantization as { dtype: string } | undefined)?.dtype ?? (e.dtype as string);
          return sum + (e.shape as number[]).reduce((a, b) => a * b, 1) * size[d];
        }, 0);
        expect(bytes).toBe(want);
        expect(Number.isSafeInteger(bytes) && bytes >= 0).toBe(true);
      }),
    );
  });

  it('checkWeightBytes: accepts exactly the declared total within the limit', () => {
    const valid = fc.record({ name: fc.constant('w'), shape: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }), dtype: fc.constantFrom('float32', 'int32', 'bool') });
    holds(
      fc.property(fc.array(valid, { maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 4 }), fc.integer({ min: 1, max: 5000 }), fc.boolean(), (entries, sizes, max, honest) => {
        const expected = expectedWeightBytes(entries, 'm.json');
        const files = honest ? [expected] : sizes;
        const total = attempt(() => checkWeightBytes(entries, files, max, 'm.json'));
        const sum = files.reduce((a, b) => a + b, 0);
        expect(total !== undefined).toBe(sum === expected && expected <= max);
        if (total !== undefined) expect(total).toBe(expected);
      }),
    );
  });

  it('resolveSizeLimits: positive integers pass through, anything else is BAD_OPTION', () => {
    const limit = fc.oneof(fc.integer({ min: 1 }), fc.constantFrom<unknown>(undefined, 0, -1, 1.5, Number.NaN, Infinity, '9', null, 2 ** 60));
    holds(
      fc.property(limit, limit, (maxModelJsonBytes, maxWeightBytes) => {
        const limits = attempt(() => resolveSizeLimits({ maxModelJsonBytes, maxWeightBytes } as never));
        const ok = (v: unknown): boolean => v == null || (Number.isSafeInteger(v) && (v as number) >= 1); // null means the default, like undefined
        expect(limits !== undefined).toBe(ok(maxModelJsonBytes) && ok(maxWeightBytes));
      }),
    );
  });

  it('classIndexPerImage: one integer in [0, K) per image, or BAD_CLASS_INDEX', () => {
    const cls = fc.oneof(fc.integer({ min: -2, max: 6 }) as fc.Arbitrary<unknown>, fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 9 }), fc.anything({ maxDepth: 1 }));
    holds(
      fc.property(cls, fc.constantFrom(1, 2, 8), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), (c, batch, k) => {
        const list = attempt(() => classIndexPerImage(c as number, batch, k));
        if (list === undefined) return;
        expect(list).toHaveLength(batch);
        list.forEach((v) => expect(Number.isInteger(v) && v >= 0 && (k === undefined || v < k)).toBe(true));
      }),
    );
  });

  it('checkReadOptions: valid preprocessing or BAD_OPTION, for any options', () => {
    const options = fc.record(
      {
        size: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 500 }), fc.integer({ min: -1, max: 500 })) as fc.Arbitrary<unknown>, fc.anything({ maxDepth: 1 })),
        scale: fc.constantFrom<unknown>('0-1', '-1-1', 'none', '0-255', 1),
        mean: fc.oneof(fc.array(fc.double(), { minLength: 2, maxLength: 4 }) as fc.Arbitrary<unknown>, fc.anything({ maxDepth: 1 })),
        std: fc.oneof(fc.array(fc.double(), { minLength: 3, maxLength: 3 }) as fc.Arbitrary<unknown>, fc.anything({ maxDepth: 1 })),
        maxPixels: fc.oneof(fc.integer() as fc.Arbitrary<unknown>, fc.double(), fc.anything({ maxDepth: 0 })),
      },
      { requiredKeys: [] },
    );
    holds(
      fc.property(fc.oneof({ weight: 20, arbitrary: options as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'big', 3) }), (o) => {
        const p = attempt(() => checkReadOptions(o as never));
        if (p === undefined) return;
        expect(['0-1', '-1-1', 'none']).toContain(p.scale);
        expect(Number.isSafeInteger(p.maxPixels) && p.maxPixels >= 1).toBe(true);
        if (p.size !== undefined) p.size.forEach((d) => expect(Number.isInteger(d) && d >= 1).toBe(true));
        for (const t of [p.mean, p.std]) if (t !== undefined) expect(t.length === 3 && t.every(Number.isFinite)).toBe(true);
        if (p.std !== undefined) expect(p.std.every((v) => v > 0)).toBe(true);
      }),
    );
  });

  it('parseCommandLine: a command or a usage error (a GradCamError), for any argument list', () => {
    const token = fc.oneof(
      fc.constantFrom(
        'explain', 'help', 'a.png', 'dir/', '-m', '--model', 'm.json', '-l', '--layer', 'conv,', '-c', '--class', '3', 'cat', '-k', '--top-k', '0', '2',
        '--method', 'gradcam', 'scorecam', '--colormap', 'jet', '-a', '--alpha', '0.5', '1e9', '-o', '--out', '--json', '--labels', '--backend', 'wasm',
        '--scale', '-1-1', '--mean', '-0.5,0,1', '--std', '0,1,1', '--max-pixels', '100', '-q', '-h', '-V', '--', '-', '--json=1', '--top-k=2', '-k-1', '',
      ),
      fc.string({ maxLength: 6 }),
    );
    holds(
      fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
        const command = attempt(() => parseCommandLine(argv));
        if (command === undefined || command.kind !== 'explain') return;
        const a = command.args;
        expect(a.inputs.length).toBeGreaterThan(0);
        expect(a.alpha >= 0 && a.alpha <= 1).toBe(true);
        expect(Number.isSafeInteger(a.maxPixels) && a.maxPixels >= 1).toBe(true);
        if (a.topK !== undefined) expect(Number.isSafeInteger(a.topK) && a.topK >= 1).toBe(true);
      }),
    );
  });

  it('outputStems: one distinct (case-insensitive) non-empty stem per input', () => {
    holds(
      fc.property(fc.array(fc.oneof(fc.constantFrom('a/cat.png', 'b/cat.jpg', 'Cat.PNG', 'cat-2.png', '.png', 'x/', 'dog'), fc.string()), { maxLength: 8 }), (files) => {
        const stems = outputStems(files);
        expect(stems).toHaveLength(files.length);
        expect(new Set(stems.map((s) => s.toLowerCase())).size).toBe(stems.length);
        stems.forEach((s) => expect(s.length).toBeGreaterThan(0));
      }),
    );
  });

  it('encodeImage: bytes that decode to the tensor’s size, or a GradCamError; nothing leaks', async () => {
    const args = fc.record({
      shape: fc.oneof(
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(1, 3, 4)).map((s) => [...s]),
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).map((s) => [...s]),
        fc.constantFrom<number[]>([1, 3, 2, 3], [2, 2, 2, 3], [0, 3, 3], [3, 3, 2], [5]),
      ),
      dtype: fc.constantFrom<'float32' | 'int32'>('float32', 'int32'),
      fill: fc.constantFrom(0, 0.5, 1, 255, -3, 1e30, Number.NaN),
      format: fc.constantFrom<unknown>('png', 'jpeg', 'gif'),
      quality: fc.constantFrom<unknown>(undefined, 1, 100, 0, 50.5),
      range: fc.constantFrom<unknown>(undefined, 1, 255, 2),
      nullOptions: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    });
    await holdsAsync(
      fc.asyncProperty(args, async (a) => {
        const image = tf.fill(a.shape, a.fill, a.dtype);
        const before = tf.memory().numTensors;
        try {
          const options = a.nullOptions ? (null as never) : { quality: a.quality as number, range: a.range as 1 };
          const bytes = await encodeImage(image, a.format as 'png', options);
          const meta = await sharp(bytes).metadata();
          const [h, w] = a.shape.length === 4 ? a.shape.slice(1) : a.shape;
          expect([meta.height, meta.width]).toEqual([h, w]);
          expect(meta.format).toBe(a.format);
        } catch (err) {
          expectGradCamError(err);
        }
        expect(tf.memory().numTensors).toBe(before);
        image.dispose();
      }),
    );
  });
});
