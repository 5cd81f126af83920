import type * as tf from '@tensorflow/tfjs-core';
import { type JsonObject, isLayerEntry } from './json';

/** For each layer, by name: the names tfjs-layers gives its weights (`conv1/kernel`), in order. */
export type LayerWeightNames = ReadonlyMap<string, readonly string[]>;

/** Keras 3's `naming.to_snake_case`: `BatchNormalization` → `batch_normalization`, `ReLU` → `re_lu`. */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * How a `.keras` file addresses each layer's weights: `layers/<key>/vars/<i>`, where the key is
 * the layer's class name in snake case, numbered in config order (`conv2d`, `conv2d_1`, …), not
 * its name. Returns key path → layer name; nested models add `layers/<key>/` levels.
 */
export function kerasFileLayerPaths(modelConfig: JsonObject): Map<string, string> {
  const paths = new Map<string, string>();
  const walk = (layers: unknown, prefix: string): void => {
    if (!Array.isArray(layers)) return;
    const used = new Map<string, number>();
    for (const entry of layers) {
      if (!isLayerEntry(entry)) continue;
      const base = snakeCase(entry.class_name);
      const n = used.get(base);
      used.set(base, n === undefined ? 0 : n + 1);
      const key = `${prefix}layers/${n === undefined ? base : `${base}_${n + 1}`}`;
      const name = entry.config.name;
      if (typeof name === 'string') paths.set(key, name);
      walk(entry.config.layers, `${key}/`);
    }
  };
  walk(isLayerEntry(modelConfig) ? modelConfig.config.layers : undefined, '');
  return paths;
}

/**
 * Renames weight specs to the names tfjs-layers looks for. A Keras 3 `.keras` conversion names
 * them by variable path (`layers/batch_normalization/vars/0`: the first weight of the first
 * BatchNormalization); a Keras 3 `.h5` one may prefix the model's name (`mobilenetv2/Conv1/kernel`)
 * and names DepthwiseConv2D's kernel `kernel` (tfjs: `depthwise_kernel`), which is matched by
 * position within its layer. Names already right are kept. `modelConfig` is the topology as converted (before repairs).
 */
export function kerasWeightNames(
  specs: readonly tf.io.WeightsManifestEntry[],
  modelConfig: JsonObject,
  layers: LayerWeightNames,
): tf.io.WeightsManifestEntry[] {
  const wanted = new Set([...layers.values()].flat());
  const paths = kerasFileLayerPaths(modelConfig);
  const seen = new Map<string, number>(); // weights met so far per layer, for positional names
  const rename = (name: string): string => {
    if (wanted.has(name)) return name;
    const vars = /^(.*)\/vars\/(\d+)$/.exec(name);
    if (vars !== null) {
      const layer = paths.get(vars[1]);
      const target = layer === undefined ? undefined : layers.get(layer)?.[Number(vars[2])];
      if (target !== undefined) return target;
    }
    const unprefixed = name.slice(name.indexOf('/') + 1);
    if (wanted.has(unprefixed)) return unprefixed;
    // Keras 3 names some weights differently (DepthwiseConv2D's `kernel` is tfjs's
    // `depthwise_kernel`): take the layer's weight at the same position.
    for (const candidate of [name, unprefixed]) {
      const layer = candidate.slice(0, candidate.lastIndexOf('/'));
      const names = layers.get(layer);
      if (names === undefined) continue;
      const i = seen.get(layer) ?? 0;
      seen.set(layer, i + 1);
      if (names[i] !== undefined) return names[i];
    }
    return name;
  };
  return specs.map((spec) => ({ ...spec, name: rename(spec.name) }));
}
