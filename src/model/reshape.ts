import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';

/**
 * Token-shaped activations (a ViT block's `[N,T,C]`, or any layer output that is not a feature
 * map) seen as a grid `[N,h,w,C]`: the pipeline works on the grid, and the head puts a
 * (modified) grid back into the layer's own shape before running on. The gradient with respect to
 * the grid is then the transform applied to the gradient with respect to the layer's output,
 * as pytorch-grad-cam's `reshape_transform` does.
 */

/** Maps a target layer's activations `[N,...,C]` to a grid `[N,h,w,C]`. */
export type ReshapeTransform = (activations: tf.Tensor) => tf.Tensor4D;

/** A transform checked on the layer's shape, with its inverse. */
export interface TokenGrid {
  /** `[N,...,C]` → `[N,h,w,C]`. */
  toGrid(activations: tf.Tensor): tf.Tensor4D;
  /**
   * Puts `grid` `[B,h,w,C]` back into the layer's shape: rows the transform dropped (a class
   * token) keep their values from `activations` `[B,...,C]`.
   */
  fromGrid(grid: tf.Tensor4D, activations: tf.Tensor): tf.Tensor;
  /** Frees the tensors the inverse keeps. */
  dispose(): void;
}

/** Options of {@link tokensToGrid}. */
export interface TokensToGridOptions {
  /** Leading tokens to drop (default 1: a class token). */
  skipTokens?: number;
  /** Grid height; omitted with `width`: the square root of the token count. */
  height?: number;
  /** Grid width. */
  width?: number;
}

/**
 * A ready {@link ReshapeTransform} for ViT-style activations `[N,T,C]`: drops the first
 * `skipTokens` tokens and lays the rest out row by row as `[N,h,w,C]`, square unless `height`
 * and `width` say otherwise.
 *
 * @example
 * ```ts
 * const gc = new GradCam(vit, { layerName: 'encoder_block_11', reshapeTransform: tokensToGrid() });
 * ```
 * @throws GradCamError `BAD_OPTION` for a token count that does not fill the grid (a non-square
 *   count without `height`/`width`), when `GradCam` checks the transform on the layer's shape.
 */
export function tokensToGrid(options: TokensToGridOptions = {}): ReshapeTransform {
  const { skipTokens = 1, height, width } = options;
  const valid = (v: number | undefined, min: number): boolean => v === undefined || (Number.isInteger(v) && v >= min);
  if (!valid(skipTokens, 0) || !valid(height, 1) || !valid(width, 1) || (height === undefined) !== (width === undefined)) {
    throw new GradCamError('BAD_OPTION', 'tokensToGrid takes an integer skipTokens ≥ 0, and height and width (positive integers) together or not at all.');
  }
  return (activations) => {
    if (activations.rank !== 3) {
      throw new GradCamError('BAD_OPTION', `tokensToGrid needs token activations [N,T,C], got ${formatShape(activations.shape)}.`);
    }
    const [n, t, c] = activations.shape;
    const count = t - skipTokens;
    const side = Math.round(Math.sqrt(Math.max(count, 0)));
    const [h, w] = height === undefined || width === undefined ? [side, side] : [height, width];
    if (count < 1 || h * w !== count) {
      throw new GradCamError(
        'BAD_OPTION',
        `tokensToGrid: ${t} tokens less ${skipTokens} skipped leaves ${count}, which ${height === undefined ? 'is not a square' : `is not ${h}×${w}`}; ` +
          'pass height and width (and skipTokens for the leading tokens that are not patches).',
      );
    }
    return tf.reshape(tf.slice(activations, [0, skipTokens, 0], [n, count, c]), [n, h, w, c]);
  };
}

/**
 * Checks `transform` on the layer's output shape `[null,...,C]` (once, at construction) and
 * builds its inverse. The transform must rearrange whole rows of C channels — reshape, drop or
 * reorder tokens — which is what the inverse undoes; it is traced on a tensor of row numbers.
 *
 * @throws GradCamError `BAD_OPTION` for an unknown shape, a transform that throws, does not give
 *   `[N,h,w,C]`, or does more than move rows.
 */
export function planTokenGrid(transform: ReshapeTransform, layerShape: ReadonlyArray<number | null>, layerPath: string): TokenGrid {
  const dims = layerShape.slice(1);
  if (dims.length < 1 || dims.some((d) => d == null)) {
    throw new GradCamError('BAD_OPTION', `reshapeTransform needs a layer of known shape; "${layerPath}" outputs ${formatShape(layerShape)}.`);
  }
  const c = dims[dims.length - 1] as number;
  const rows = (dims as number[]).slice(0, -1).reduce((p, d) => p * d, 1);
  const traced = trace(transform, [1, ...(dims as number[])], rows, c, layerPath);
  const cells = traced.length;
  // Cell q copies layer row traced[q]: a 0/1 matrix [R, h·w] scatters the grid back, and the
  // rows no cell copies keep their values.
  const scatter = new Float32Array(rows * cells);
  traced.forEach((r, q) => (scatter[r * cells + q] = 1));
  const used = new Set(traced);
  const back = tf.keep(tf.tensor3d(scatter, [1, rows, cells]));
  const dropped = tf.keep(tf.tensor3d(Array.from({ length: rows }, (_, r) => (used.has(r) ? 0 : 1)), [1, rows, 1]));
  return {
    toGrid: (activations) => transform(activations),
    fromGrid: (grid, activations) =>
      tf.tidy(() => {
        const b = grid.shape[0];
        const gridRows = tf.reshape(grid, [b, cells, c]);
        // Exact: each output element is one product by 1 plus products by 0.
        const placed = tf.matMul(tf.tile(back, [b, 1, 1]), gridRows); // [B,R,C]
        const kept = tf.mul(tf.reshape(activations, [b, rows, c]), dropped);
        return tf.reshape(tf.add(kept, placed), activations.shape);
      }),
    dispose: () => tf.dispose([back, dropped]),
  };
}

/** The layer row each grid cell copies, found by transforming a tensor of element numbers. */
function trace(transform: ReshapeTransform, shape: number[], rows: number, c: number, layerPath: string): number[] {
  const numbers = tf.tidy(() => tf.reshape(tf.range(0, rows * c, 1, 'float32'), shape));
  let grid: tf.Tensor;
  try {
    grid = tf.tidy(() => transform(numbers));
  } catch (err) {
    if (err instanceof GradCamError) throw err;
    throw new GradCamError('BAD_OPTION', `reshapeTransform failed on layer "${layerPath}" ${formatShape([null, ...shape.slice(1)])}: ${String(err)}`);
  } finally {
    numbers.dispose();
  }
  const gridShape = grid.shape;
  const values = grid.dataSync();
  grid.dispose();
  const notRows = (): GradCamError =>
    new GradCamError(
      'BAD_OPTION',
      `reshapeTransform must turn layer "${layerPath}" ${formatShape([null, ...shape.slice(1)])} into a grid [N,h,w,${c}] by ` +
        `moving whole rows of ${c} channels (reshape, drop or reorder tokens), as tokensToGrid() does; got ${formatShape(gridShape)}.`,
    );
  if (gridShape.length !== 4 || gridShape[0] !== 1 || gridShape[3] !== c) throw notRows();
  const cells = values.length / c;
  const source: number[] = [];
  for (let q = 0; q < cells; q++) {
    const r = values[q * c] / c;
    const whole = Number.isInteger(r) && r >= 0 && r < rows && Array.from({ length: c }, (_, k) => values[q * c + k] === r * c + k).every(Boolean);
    if (!whole || source.includes(r)) throw notRows();
    source.push(r);
  }
  return source;
}
