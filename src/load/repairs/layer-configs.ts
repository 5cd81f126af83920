import { type Json, type JsonObject, isObject, layerEntries } from '../json';

/**
 * `SeparableConv2D` configs carry `kernel_initializer`, `kernel_regularizer` and
 * `kernel_constraint` (a Keras base-class leftover, unused by the layer), which tfjs-layers
 * rejects ("Fields … are invalid"). Xception and NASNet have such layers.
 */
export function separableConvKernelFields(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    if (entry.class_name !== 'SeparableConv2D' && entry.class_name !== 'SeparableConv1D') continue;
    for (const key of ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint']) {
      if (key in entry.config) {
        delete entry.config[key];
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * `GlobalAveragePooling2D` / `GlobalMaxPooling2D` with `keepdims: true` (MobileNet, MobileNetV3):
 * tfjs-layers ignores `keepdims`, so they become the `GlobalPooling2DKeepDims` layer class.
 */
export function globalPoolingKeepDims(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    const mode = entry.class_name === 'GlobalAveragePooling2D' ? 'avg' : entry.class_name === 'GlobalMaxPooling2D' ? 'max' : undefined;
    if (mode === undefined || entry.config.keepdims !== true) continue;
    entry.class_name = 'GlobalPooling2DKeepDims';
    delete entry.config.keepdims;
    entry.config.mode = mode;
    changed = true;
  }
  return changed;
}

/** `Conv2D` with `groups > 1` (ConvNeXt's depthwise convs, RegNet) becomes the `GroupedConv2D` layer class. */
export function groupedConv(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    if (entry.class_name === 'Conv2D' && typeof entry.config.groups === 'number' && entry.config.groups > 1) {
      entry.class_name = 'GroupedConv2D';
      changed = true;
    }
  }
  return changed;
}

/** `[layer, nodeIndex, tensorIndex]`: how a Keras 2 call's keyword argument names a tensor. */
function isTensorRef(value: Json): value is [string, number, number] {
  return Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && typeof value[1] === 'number' && typeof value[2] === 'number';
}

/**
 * A `TFOpLambda` layer (a raw TensorFlow op in a Keras 2 model: `x + 3`, `x * (1/6)`, the
 * residual `x + y` of ConvNeXt and RegNet) keeps its first input in its inbound node, written
 * flat (`[layer, node, index, kwargs]` instead of a list of those), and its other operands in
 * that node's kwargs: constants (`y: 3.0`) or tensors (`y: [layer, node, index]`). The node is put
 * in the usual form with the tensor operands as further inputs (their names in the config's
 * `tensor_kwargs`), and the constants move into the config's `call_kwargs`, so that the layer
 * computes the same however it is called (`model.predict`, or layer by layer as GradCam does).
 */
export function tfOpLambdaCalls(model: JsonObject): boolean {
  let changed = false;
  for (const entry of layerEntries(model)) {
    if (entry.class_name !== 'TFOpLambda' || !Array.isArray(entry.inbound_nodes)) continue;
    const constants: JsonObject = {};
    const tensorKwargs: string[] = [];
    entry.inbound_nodes = entry.inbound_nodes.map((node) => {
      const refs: Json[] = Array.isArray(node) && typeof node[0] === 'string' ? [node] : Array.isArray(node) ? node : [];
      return refs.flatMap((ref) => {
        if (!Array.isArray(ref)) return [ref];
        const inputs: Json[] = [[ref[0], ref[1], ref[2], {}]];
        const kwargs = isObject(ref[3]) ? ref[3] : {};
        for (const [key, value] of Object.entries(kwargs)) {
          if (key === 'name') continue;
          if (isTensorRef(value)) {
            inputs.push([...value, {}]);
            if (!tensorKwargs.includes(key)) tensorKwargs.push(key);
          } else {
            constants[key] = value;
          }
        }
        return inputs;
      });
    });
    entry.config.call_kwargs = constants;
    entry.config.tensor_kwargs = tensorKwargs;
    changed = true;
  }
  return changed;
}
