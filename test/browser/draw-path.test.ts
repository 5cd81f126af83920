/**
 * drawHeatmap's choice of drawing path, in Node (no canvas here: the pixels in a real browser
 * are checked in video-page.e2e.test.ts through entry-checks.ts).
 *
 * - `drawPath` follows tfjs's kernel registry: 'device' where a backend has a `Draw` kernel.
 * - drawHeatmap on cpu (a Draw kernel) and on wasm (none), onto a canvas-shaped stub that keeps
 *   what `putImageData` is given (`ImageData` is a plain holder here, as tfjs's cpu kernel and
 *   `toImageData` only construct it): the same hand-computed pixels either way, no read-back of
 *   any kind on the device path, one `await data()` on the other, nothing left behind, and
 *   errors as rejected promises with their codes.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
// Imported for their kernel registrations only (neither backend can start in Node).
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { GradCamError } from '../../src';
import { type DrawPath, drawHeatmap, drawPath } from '../../src/browser';
import { watchSyncReads } from '../helpers/sync-reads';

/** What a stub canvas's 2-D context was given. */
interface Put {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

class StubImageData implements Put {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

/** A canvas with `width`, `height` and `getContext`; `puts` collects its 2-D context's `putImageData` calls. */
function stubCanvas(has2d = true): { canvas: HTMLCanvasElement; puts: Put[] } {
  const puts: Put[] = [];
  const context = { putImageData: (image: Put) => puts.push(image) };
  const canvas = { width: 0, height: 0, getContext: (type: string) => (type === '2d' && has2d ? context : null) };
  return { canvas: canvas as unknown as HTMLCanvasElement, puts };
}

const globals = globalThis as { ImageData?: unknown };
let savedImageData: unknown;

beforeAll(() => {
  savedImageData = globals.ImageData;
  globals.ImageData = StubImageData;
});

afterAll(async () => {
  globals.ImageData = savedImageData;
  await tf.setBackend('cpu');
});

describe('drawPath', () => {
  it('draws on the device where tfjs registers a Draw kernel (cpu, webgpu), reads back elsewhere (webgl, wasm)', () => {
    expect(['cpu', 'webgpu', 'webgl', 'wasm'].map((name) => drawPath(name))).toEqual(['device', 'device', 'readback', 'readback']);
  });

  it('follows the kernel registry, not a list of names, and defaults to the active backend', async () => {
    const name = 'draw-path-test-backend';
    expect(drawPath(name)).toBe('readback');
    tf.registerKernel({ kernelName: 'Draw', backendName: name, kernelFunc: ({ inputs }) => inputs.image as tf.TensorInfo });
    try {
      expect(drawPath(name)).toBe('device');
    } finally {
      tf.unregisterKernel('Draw', name);
    }
    expect(drawPath(name)).toBe('readback');
    await tf.setBackend('wasm');
    expect(drawPath()).toBe('readback');
    await tf.setBackend('cpu');
    expect(drawPath()).toBe('device');
  });
});

/** The 2×2 heatmap of the browser checks and its gray pixels, round(255·value) (0.5 → 127.5 → 128), opaque. */
const HEATMAP = [
  [0, 0.5],
  [1, 0.25],
];
const GRAY = [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 64, 64, 64, 255];
/** The overlay on a [0.2, 0.6, 1] image with alpha 0.25: 0.75·255·c + 0.25·gray per channel. */
const OVERLAY = [0, 128, 255, 64].flatMap((gray) => [...[0.2, 0.6, 1].map((c) => 0.75 * 255 * c + 0.25 * gray), 255]);

/** Counts the active backend's `read` (what `await data()` uses) and `readSync` calls while `start` runs. */
async function countBackendReads<T>(start: () => Promise<T>): Promise<{ value: T; reads: string[] }> {
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const reads: string[] = [];
  const originals = { read: backend.read, readSync: backend.readSync };
  for (const name of ['read', 'readSync'] as const) {
    backend[name] = function (this: unknown, ...args: unknown[]): unknown {
      reads.push(name);
      return originals[name].apply(this, args);
    };
  }
  try {
    return { value: await start(), reads };
  } finally {
    // The originals live on the prototype: dropping the own properties restores them.
    delete backend.read;
    delete backend.readSync;
  }
}

describe.each<[string, DrawPath]>([
  ['cpu', 'device'],
  ['wasm', 'readback'],
])('drawHeatmap on %s', (backendName, expectedPath) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backendName)).toBe(true);
  });

  it(`takes the ${expectedPath} path and draws round(255·value) per pixel, sizing the canvas`, async () => {
    const heatmap = tf.tensor2d(HEATMAP);
    const before = tf.memory().numTensors;
    const { canvas, puts } = stubCanvas();
    const watched = await watchSyncReads(() => countBackendReads(() => drawHeatmap(canvas, heatmap, { colormap: 'gray' })));
    expect(tf.memory().numTensors).toBe(before);
    heatmap.dispose();

    expect(watched.error).toBeUndefined();
    expect(watched.syncReads).toEqual([]); // no dataSync, arraySync, bufferSync or engine.readSync
    const { value: path, reads } = watched.value as { value: DrawPath; reads: string[] };
    expect(path).toBe(expectedPath);
    if (expectedPath === 'device') expect(reads).toEqual([]);
    else expect(reads).toContain('read'); // toPixels' one `await data()`: the spy sees reads where they happen
    expect([canvas.width, canvas.height]).toEqual([2, 2]);
    expect(puts).toHaveLength(1);
    expect([puts[0].width, puts[0].height]).toEqual([2, 2]);
    expect(Array.from(puts[0].data)).toEqual(GRAY);
  });

  it('blends over an image the same way on either path (within 1 per channel)', async () => {
    const heatmap = tf.tensor2d(HEATMAP);
    const image = tf.tidy(() => tf.mul(tf.ones([2, 2, 3]), tf.tensor1d([0.2, 0.6, 1]))) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const { canvas, puts } = stubCanvas();
    expect(await drawHeatmap(canvas, heatmap, { colormap: 'gray', alpha: 0.25, image })).toBe(expectedPath);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([heatmap, image]);
    const drawn = Array.from(puts[0].data);
    expect(drawn).toHaveLength(OVERLAY.length);
    drawn.forEach((v, i) => expect(Math.abs(v - OVERLAY[i])).toBeLessThanOrEqual(1));
  });

  it('rejects (never throws) with GradCamError codes, leaving nothing behind', async () => {
    const heatmap = tf.tensor2d(HEATMAP);
    const before = tf.memory().numTensors;
    const attempts: Array<[() => Promise<DrawPath>, string]> = [
      [() => drawHeatmap(stubCanvas(false).canvas, heatmap), 'BAD_INPUT'], // a canvas without a 2-D context
      [() => drawHeatmap(stubCanvas().canvas, heatmap, { colormap: 'rainbow' as never }), 'UNKNOWN_COLORMAP'],
      [() => drawHeatmap(stubCanvas().canvas, heatmap, { index: 1 }), 'BAD_OPTION'],
    ];
    for (const [attempt, code] of attempts) {
      let promise: Promise<DrawPath> | undefined;
      expect(() => (promise = attempt())).not.toThrow();
      const error = await (promise as Promise<DrawPath>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GradCamError);
      expect((error as GradCamError).code).toBe(code);
    }
    expect(tf.memory().numTensors).toBe(before);
    heatmap.dispose();
  });
});
