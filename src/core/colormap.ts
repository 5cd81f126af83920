import * as tf from '@tensorflow/tfjs-core';
import { lookupRows } from '../backends/lookup';
import { GradCamError } from '../errors';
import { assertTensor } from './assert';
import { COLORMAP_HEX } from './colormap-data';

/** The colour maps this library ships, as 256-entry lookup tables (see `colormap-data.ts`). */
export const COLORMAPS = ['jet', 'turbo', 'viridis', 'inferno', 'gray'] as const;

/** Name of a shipped colour map: `'jet'` (OpenCV's, the pytorch-grad-cam default), `'turbo'`, `'viridis'`, `'inferno'` or `'gray'`. */
export type ColormapName = (typeof COLORMAPS)[number];

/** Number of entries in every lookup table. */
const TABLE_SIZE = 256;

/** Fails to compile if the generated data misses a name in {@link COLORMAPS}. */
const HEX_TABLES: Readonly<Record<ColormapName, string>> = COLORMAP_HEX;

const decoded = new Map<ColormapName, Float32Array>();

/**
 * Tells whether `name` is one of {@link COLORMAPS}.
 *
 * @param name Any string, e.g. from user input.
 * @returns `true` when `name` is a {@link ColormapName}.
 */
export function isColormapName(name: string): name is ColormapName {
  return (COLORMAPS as readonly string[]).includes(name);
}

/**
 * The lookup table of a colour map: 256×3 float32 RGB in [0,1], row-major; row i is the colour of
 * heatmap value i/255 (the 8-bit table entry divided by 255).
 *
 * Decoded once, cached: every call for the same name returns the same array, so treat it as read-only.
 *
 * @param name One of {@link COLORMAPS}.
 * @returns A `Float32Array` of length 768 (`[r0, g0, b0, r1, …]`).
 * @throws GradCamError `UNKNOWN_COLORMAP` for a name that is not in {@link COLORMAPS}.
 */
export function colormapTable(name: ColormapName): Float32Array {
  const cached = decoded.get(name);
  if (cached !== undefined) return cached;
  if (!isColormapName(name)) {
    throw new GradCamError('UNKNOWN_COLORMAP', `Unknown colormap "${String(name)}"; choose one of: ${COLORMAPS.join(', ')}.`);
  }
  const hex = HEX_TABLES[name];
  const table = new Float32Array(TABLE_SIZE * 3);
  for (let k = 0; k < table.length; k++) {
    table[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16) / 255;
  }
  decoded.set(name, table);
  return table;
}

/**
 * Colours heatmaps on the device: heatmap `[..]` in [0,1] → `[.., 3]` RGB in [0,1].
 *
 * Each value is clipped to [0,1] and turned into a table index `round(255 · value)` (tf.round, i.e. half to
 * even), then looked up (one `tf.gather`, or a plain loop on the cpu and wasm backends) in the map's 256×3 table. With the `'jet'` table this is
 * `cv2.applyColorMap(uint8(255 · heatmap), cv2.COLORMAP_JET)` turned to RGB and divided by 255, up to the
 * rounding: we round, whereas pytorch-grad-cam's `show_cam_on_image` truncates with `np.uint8(255 * mask)`,
 * so single pixels of their overlays can sit one lookup step below ours.
 *
 * Runs inside `tf.tidy`: only the returned tensor is left for the caller to dispose. The lookup tensor is
 * built per call (never cached), so a backend switch or a `tf.memory()` leak check sees nothing left over.
 *
 * @param heatmap Any shape, values expected in [0,1] (others are clipped).
 * @param name One of {@link COLORMAPS}; defaults to `'jet'`.
 * @returns float32 tensor of shape `[...heatmap.shape, 3]`.
 * @throws GradCamError `UNKNOWN_COLORMAP` for a name that is not in {@link COLORMAPS};
 *   `BAD_INPUT` when `heatmap` is not a numeric tensor.
 */
export function applyColormap(heatmap: tf.Tensor, name: ColormapName = 'jet'): tf.Tensor {
  assertTensor(heatmap, 'heatmap', '(any shape, values in [0, 1])');
  const table = colormapTable(name);
  return tf.tidy(() => {
    const clipped = tf.clipByValue(tf.cast(heatmap, 'float32'), 0, 1);
    const index = tf.cast(tf.round(tf.mul(clipped, TABLE_SIZE - 1)), 'int32');
    const lookup = tf.tensor2d(table, [TABLE_SIZE, 3], 'float32');
    return lookupRows(lookup, index);
  });
}
