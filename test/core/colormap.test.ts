import * as tf from '@tensorflow/tfjs-core';
import { COLORMAPS, type ColormapName, applyColormap, colormapTable, isColormapName } from '../../src/core/colormap';
import { expectGradCamError } from '../helpers/expect';

/** Entry i of a table as 8-bit RGB. */
function entry(name: ColormapName, i: number): number[] {
  const t = colormapTable(name);
  return [0, 1, 2].map((c) => Math.round(t[3 * i + c] * 255));
}

const hex = (h: string): number[] => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));

/**
 * OpenCV's COLORMAP_JET, worked out by hand (not by the code under test) from its definition in
 * opencv/modules/imgproc/src/colormap.cpp: class Jet stores GNU Octave's jet sampled at x = i/255,
 *   r = clip(min(4x − 1.5, 4.5 − 4x)), g = clip(min(4x − 0.5, 3.5 − 4x)), b = clip(min(4x + 0.5, 2.5 − 4x)),
 * and `convertTo(CV_8U, 255)` rounds 255·v half to even. On the ramps 255·v is always k + 0.5:
 *   i = 0:   b = 127.5 → 128                                   → (0, 0, 128)
 *   i = 32:  g = 128 − 127.5 = 0.5 → 0, b clipped              → (0, 0, 255)
 *   i = 64:  g = 256 − 127.5 = 128.5 → 128                      → (0, 128, 255)
 *   i = 96:  r = 384 − 382.5 = 1.5 → 2, b = 637.5 − 384 = 253.5 → 254 → (2, 255, 254)
 *   i = 128: r = 512 − 382.5 = 129.5 → 130, b = 637.5 − 512 = 125.5 → 126 → (130, 255, 126)
 *   i = 192: g = 892.5 − 768 = 124.5 → 124                       → (255, 124, 0)
 *   i = 255: r = 1147.5 − 1020 = 127.5 → 128                     → (128, 0, 0)
 * The same numbers come out of cv2.applyColorMap (OpenCV 4.6, BGR reversed), e.g. jet(0) = BGR (128, 0, 0).
 * One entry is not what exact arithmetic gives: at i = 159, b = 637.5 − 636 = 1.5 would round to 2, but
 * OpenCV's float32 samples and float32 interp1 land just below 1.5, and cv2 returns 1
 * (r = 636 − 382.5 = 253.5 → 254, g clipped → 255).
 */
const JET_EXPECTED: Array<[number, number[]]> = [
  [0, [0, 0, 128]],
  [32, [0, 0, 255]],
  [64, [0, 128, 255]],
  [96, [2, 255, 254]],
  [128, [130, 255, 126]],
  [159, [254, 255, 1]],
  [192, [255, 124, 0]],
  [255, [128, 0, 0]],
];

describe('colormapTable', () => {
  it.each(COLORMAPS)('%s has 256 RGB entries in [0,1], each an 8-bit step', (name) => {
    const t = colormapTable(name);
    expect(t).toBeInstanceOf(Float32Array);
    expect(t.length).toBe(256 * 3);
    for (const v of t) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
    }
  });

  it('is decoded once and cached', () => {
    expect(colormapTable('turbo')).toBe(colormapTable('turbo'));
  });

  it('gray is the identity', () => {
    const t = colormapTable('gray');
    for (let i = 0; i < 256; i++) {
      for (let c = 0; c < 3; c++) expect(t[3 * i + c]).toBe(Math.fround(i / 255));
    }
  });

  it.each(JET_EXPECTED)("jet entry %i equals OpenCV's COLORMAP_JET", (i, rgb) => {
    expect(entry('jet', i)).toEqual(rgb);
  });

  it("viridis and inferno end where matplotlib's do", () => {
    expect(entry('viridis', 0)).toEqual(hex('#440154'));
    expect(entry('viridis', 255)).toEqual(hex('#fde725'));
    expect(entry('inferno', 0)).toEqual(hex('#000004'));
    expect(entry('inferno', 255)).toEqual(hex('#fcffa4'));
  });

  it('turbo ends where the published table does', () => {
    // Google's Turbo sRGB table: first (0.18995, 0.07176, 0.23217), last (0.47960, 0.01583, 0.01055);
    // ×255 rounded (by hand) gives the published bytes (48, 18, 59) and (122, 4, 3).
    expect(entry('turbo', 0)).toEqual([48, 18, 59]);
    expect(entry('turbo', 255)).toEqual([122, 4, 3]);
  });

  it('throws for an unknown name', () => {
    expectGradCamError(() => colormapTable('nope' as ColormapName), 'UNKNOWN_COLORMAP', /Unknown colormap "nope"; choose one of: jet, turbo/);
  });
});

describe('isColormapName', () => {
  it('accepts the shipped names only', () => {
    for (const name of COLORMAPS) expect(isColormapName(name)).toBe(true);
    expect(isColormapName('hot')).toBe(false);
    expect(isColormapName('toString')).toBe(false);
    expect(isColormapName('')).toBe(false);
  });
});

describe('applyColormap', () => {
  const rows = (entries: number[][]): number[] => entries.flat().map((v) => Math.fround(v / 255));

  it('looks up each value in the table, rounding the index', async () => {
    const heatmap = tf.tensor2d([0, 0.5, 1, 0.25], [2, 2]);
    const out = applyColormap(heatmap, 'jet');
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.dtype).toBe('float32');
    // 0 → 0, 0.5 → 127.5 → 128 (half to even), 1 → 255, 0.25 → 63.75 → 64.
    expect(Array.from(await out.data())).toEqual(
      rows([
        [0, 0, 128],
        [130, 255, 126],
        [128, 0, 0],
        [0, 128, 255],
      ]),
    );
    tf.dispose([heatmap, out]);
  });

  it('defaults to jet', async () => {
    const heatmap = tf.tensor1d([0]);
    const out = applyColormap(heatmap);
    expect(Array.from(await out.data())).toEqual(rows([[0, 0, 128]]));
    tf.dispose([heatmap, out]);
  });

  it('clips values outside [0,1]', async () => {
    const heatmap = tf.tensor1d([-0.3, 1.7, -Infinity, Infinity]);
    const out = applyColormap(heatmap, 'viridis');
    const first = entry('viridis', 0);
    const last = entry('viridis', 255);
    expect(Array.from(await out.data())).toEqual(rows([first, last, first, last]));
    tf.dispose([heatmap, out]);
  });

  it('maps [N,H,W] to [N,H,W,3]', async () => {
    const heatmap = tf.tensor3d(
      Array.from({ length: 24 }, (_, k) => k / 23),
      [2, 3, 4],
    );
    const out = applyColormap(heatmap, 'gray');
    expect(out.shape).toEqual([2, 3, 4, 3]);
    const values = await out.data();
    const input = await heatmap.data();
    for (let k = 0; k < input.length; k++) {
      const expected = Math.fround(Math.round(input[k] * 255) / 255);
      for (let c = 0; c < 3; c++) expect(values[3 * k + c]).toBeCloseTo(expected, 6);
    }
    tf.dispose([heatmap, out]);
  });

  it('leaves no tensor behind', () => {
    const heatmap = tf.tensor3d([0.1, 0.9, 0.4, 0.6], [1, 2, 2]);
    const before = tf.memory().numTensors;
    for (const name of COLORMAPS) applyColormap(heatmap, name).dispose();
    expect(tf.memory().numTensors).toBe(before);
    heatmap.dispose();
  });

  it('throws for an unknown name', () => {
    const heatmap = tf.zeros([2, 2]);
    const before = tf.memory().numTensors;
    expectGradCamError(() => applyColormap(heatmap, 'nope' as ColormapName), 'UNKNOWN_COLORMAP');
    expect(tf.memory().numTensors).toBe(before);
    heatmap.dispose();
  });
});
