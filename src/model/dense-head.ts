import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import type { Layer } from './graph';
import { activationName, hasFinalActivation } from './score';

/**
 * Dense layers after the target layer, differentiated cheaply.
 *
 * Through tfjs's own gradient, a Dense layer costs, besides its forward product, a copy of its
 * kernel saved for the backward pass and a product with the *transposed* kernel — on the wasm
 * backend that product is ~6× slower than the forward one (VGG16's fc1: 94 ms vs 16 ms). Here
 * the layer's forward is the same fused product, its backward returns only the input gradient
 * (`dy·Wᵀ`, masked by the ReLU), nothing is copied, and `Wᵀ` comes from a cache when there is
 * one, which makes the backward product as fast as the forward one (see {@link KernelCaching}).
 */

/**
 * Which Dense kernels keep a transposed copy: all (`true`), none (`false`), or (`'auto'`) those
 * of at most {@link AUTO_CACHE_MAX_WEIGHTS} weights. A copy makes each backward product ~1.5×
 * faster on wasm, but making it costs far more than one product: the transpose, then XNNPACK
 * repacking the copy on its first use (VGG16's fc1, 25088×4096: 1.4 s + 1.2–5 s, and +822 MB),
 * worth it only after a hundred or more explanations. Small kernels pay back within a few.
 */
export type KernelCaching = boolean | 'auto';

/** The largest kernel `'auto'` caches: 2²² weights (16 MB of float32). */
export const AUTO_CACHE_MAX_WEIGHTS = 2 ** 22;

/**
 * The caching for an explainer that will explain about `explanations` images: a big kernel's
 * copy costs as much as 50–200 of the products it speeds up (wasm, VGG16's fc1 and fc2), so it
 * is made only for 100 images or more; none for an explainer that explains nothing (the
 * command's option check before its workers start).
 */
export function cachingForRun(explanations: number): KernelCaching {
  if (explanations <= 0) return false;
  return explanations >= 100 ? true : 'auto';
}

/** Checks a `cacheTransposedKernels` option; undefined gives `fallback`. */
export function kernelCachingOf(value: unknown, fallback: KernelCaching): KernelCaching {
  if (value === undefined) return fallback;
  if (value === true || value === false || value === 'auto') return value;
  throw new GradCamError('BAD_OPTION', `cacheTransposedKernels must be true, false or 'auto', got ${JSON.stringify(value) ?? String(value)}.`);
}

/** Whether `kernel` gets a cached `Wᵀ` under `caching`. */
export function cachesKernel(kernel: tf.Tensor, caching: KernelCaching): boolean {
  return caching === 'auto' ? kernel.size <= AUTO_CACHE_MAX_WEIGHTS : caching;
}

/** Transposed Dense kernels, one per layer, refreshed when the layer's weights change. */
export interface KernelCache {
  /** `Wᵀ` of a Dense layer's current kernel, or undefined when not cached. */
  transposed(layer: Layer): tf.Tensor2D | undefined;
  /** Frees the cached kernels. */
  dispose(): void;
}

/** Activations this path handles; `null` means the layer is left to tfjs. */
function denseActivation(layer: Layer, dropSoftmax: boolean): 'linear' | 'relu' | null {
  if (layer.getClassName() !== 'Dense') return null;
  const activation = activationName(layer);
  if (activation === 'linear' || activation === 'relu') return activation;
  if (dropSoftmax && hasFinalActivation(layer)) return 'linear';
  return null;
}

/** Whether {@link applyDense} can run this layer on these inputs. */
export function isFastDense(layer: Layer, inputs: readonly tf.Tensor[], dropSoftmax: boolean): boolean {
  return inputs.length === 1 && inputs[0].rank === 2 && denseActivation(layer, dropSoftmax) !== null;
}

/**
 * Builds a cache of `Wᵀ` for the given Dense layers whose kernels `caching` selects (the
 * transposes run now, once). Each lookup checks that the kernel is still the one transposed (a
 * `setWeights` or a training step replaces its data) and transposes again if not.
 */
export function createKernelCache(layers: readonly Layer[], caching: KernelCaching): KernelCache {
  const entries = new Map<Layer, { source: object; transposed: tf.Tensor2D }>();
  const refresh = (layer: Layer): tf.Tensor2D => {
    const kernel = layer.getWeights()[0] as tf.Tensor2D; // live: never disposed here
    const entry = entries.get(layer);
    if (entry !== undefined && entry.source === kernel.dataId) return entry.transposed;
    entry?.transposed.dispose();
    const transposed = tf.keep(tf.transpose(kernel));
    entries.set(layer, { source: kernel.dataId, transposed });
    return transposed;
  };
  layers.filter((l) => l.getClassName() === 'Dense' && cachesKernel(l.getWeights()[0], caching)).forEach(refresh);
  return {
    transposed: (layer) => (entries.has(layer) ? refresh(layer) : undefined),
    dispose: () => {
      for (const { transposed } of entries.values()) transposed.dispose();
      entries.clear();
    },
  };
}

/**
 * A Dense layer on `[B,in]` input with a gradient for the input only. `dropSoftmax`: a softmax
 * (or sigmoid) activation is left out (the layer yields logits).
 */
export function applyDense(layer: Layer, x: tf.Tensor2D, dropSoftmax: boolean, transposed?: tf.Tensor2D): tf.Tensor2D {
  const activation = denseActivation(layer, dropSoftmax) === 'relu' ? 'relu' : 'linear';
  const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D | undefined];
  return denseWithInputGradient(x, { kernel, bias, activation, transposed });
}

/** The weights of a dense product `activation(x·W + b)`. */
export interface DenseWeights {
  /** `W`, `[in,out]`: live, never disposed here. */
  readonly kernel: tf.Tensor2D;
  /** `b`, `[out]`. */
  readonly bias?: tf.Tensor1D;
  readonly activation: 'linear' | 'relu';
  /** `Wᵀ`, `[out,in]`, when cached: makes the backward product as fast as the forward one. */
  readonly transposed?: tf.Tensor2D;
}

/**
 * `activation(x·W + b)` on `[B,in]` by tfjs's fused product (the same values as a Dense layer or
 * a graph's `_FusedMatMul`), whose gradient is the input's only: `dy·Wᵀ`, masked by the ReLU.
 * Nothing is saved but the output, and no kernel gradient is computed.
 */
export function denseWithInputGradient(x: tf.Tensor2D, { kernel, bias, activation, transposed }: DenseWeights): tf.Tensor2D {
  const dense = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const value = tf.fused.matMul({ a: input, b: kernel, bias, activation });
    if (activation === 'relu') save([value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const dz = (activation === 'relu' ? tf.where(tf.greater(saved[0], 0), dy, tf.zerosLike(dy)) : dy) as tf.Tensor2D;
          return transposed === undefined ? productWithTransposed(dz, kernel) : tf.matMul(dz, transposed);
        }),
    };
  });
  return dense(x) as tf.Tensor2D;
}

/**
 * `dz·Wᵀ` without a transposed copy, as `(W·dzᵀ)ᵀ`: `W` is then the streamed operand, which
 * XNNPACK (wasm) uses as it is, where `matMul(dz, W, false, true)` falls back to a naive loop
 * (VGG16's fc1: 73 ms against 182 ms; the same values).
 */
function productWithTransposed(dz: tf.Tensor2D, kernel: tf.Tensor2D): tf.Tensor2D {
  const [rows, out] = dz.shape;
  const dzT = rows === 1 ? tf.reshape(dz, [out, 1]) : tf.transpose(dz);
  const product = tf.matMul(kernel, dzT as tf.Tensor2D);
  return (rows === 1 ? tf.reshape(product, [1, kernel.shape[0]]) : tf.transpose(product)) as tf.Tensor2D;
}
