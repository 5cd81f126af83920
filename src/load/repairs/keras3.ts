import { type Json, type JsonObject, isObject, layerEntries } from '../json';

/**
 * Keras 3 writes an `InputLayer`'s shape as `batch_shape`; tfjs-layers reads
 * `batch_input_shape` (and otherwise fails with "An InputLayer should be passed either a
 * `batchInputShape` or an `inputShape`").
 */
export function keras3InputShape(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    const config = entry.config;
    if (entry.class_name === 'InputLayer' && config.batch_shape !== undefined && config.batch_input_shape === undefined) {
      config.batch_input_shape = config.batch_shape;
      delete config.batch_shape;
      changed = true;
    }
  }
  return changed;
}

/**
 * Keras 3 writes each layer's `dtype` as a policy object (`{class_name: 'DTypePolicy', config:
 * {name: 'float32'}}`); tfjs-layers wants the dtype's name. Mixed policies keep their variable
 * dtype (`mixed_float16` → `float32`), since tfjs computes in float32.
 */
export function keras3DtypePolicy(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    const dtype = entry.config.dtype;
    if (!isObject(dtype)) continue;
    const name = isObject(dtype.config) && typeof dtype.config.name === 'string' ? dtype.config.name : 'float32';
    entry.config.dtype = name.startsWith('mixed_') ? 'float32' : name;
    changed = true;
  }
  return changed;
}

/** A Keras 3 symbolic tensor reference: `{class_name: '__keras_tensor__', config: {keras_history: [layer, node, index]}}`. */
function kerasHistory(value: Json): Json[] | undefined {
  if (!isObject(value) || value.class_name !== '__keras_tensor__' || !isObject(value.config)) return undefined;
  const history = value.config.keras_history;
  return Array.isArray(history) ? history : undefined;
}

/** Every tensor reference in a Keras 3 call's `args`, in order (lists of tensors flattened). */
function tensorRefs(args: Json): Json[][] {
  const history = kerasHistory(args);
  if (history !== undefined) return [history];
  return Array.isArray(args) ? args.flatMap(tensorRefs) : [];
}

/**
 * Keras 3 writes each inbound node as a call, `{args: [...tensors], kwargs: {...}}`; tfjs-layers
 * reads Keras 2's `[[layer, nodeIndex, tensorIndex, kwargs], ...]`. The call's keyword arguments
 * (e.g. `training`, `mask`) are dropped: inference needs none of them.
 */
export function keras3InboundNodes(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    const nodes = entry.inbound_nodes;
    if (!Array.isArray(nodes)) continue;
    entry.inbound_nodes = nodes.map((node) => {
      if (!isObject(node) || !('args' in node)) return node;
      changed = true;
      return tensorRefs(node.args).map(([layer, nodeIndex, tensorIndex]) => [layer, nodeIndex, tensorIndex, {}]);
    });
  }
  return changed;
}

/**
 * Keras 3 writes a functional model's single input or output as one `[layer, node, index]`
 * triple; tfjs-layers expects a list of them.
 */
export function keras3ModelEnds(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    for (const key of ['input_layers', 'output_layers'] as const) {
      const ends = entry.config[key];
      if (Array.isArray(ends) && typeof ends[0] === 'string') {
        entry.config[key] = [ends];
        changed = true;
      }
    }
  }
  return changed;
}

/** Keras 3 activation names tfjs-layers knows by another name. */
const ACTIVATION_NAMES: Readonly<Record<string, string>> = { silu: 'swish' };

/** Keras 3 writes `silu` where Keras 2 wrote `swish` (EfficientNet); tfjs-layers knows only `swish`. */
export function keras3ActivationNames(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    const activation = entry.config.activation;
    if (typeof activation === 'string' && ACTIVATION_NAMES[activation] !== undefined) {
      entry.config.activation = ACTIVATION_NAMES[activation];
      changed = true;
    }
  }
  return changed;
}
