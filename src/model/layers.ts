import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { GradCamError, formatShape } from '../errors';
import { type Layer, callsInOrder, isContainer } from './graph';

/** A layer and its address: `name`, or `outer/inner` inside a nested model. */
export interface LayerEntry {
  readonly path: string;
  readonly layer: Layer;
}

/** Every layer of the model and of the models nested in it, with its path. */
export function listLayers(model: LayersModel): LayerEntry[] {
  const out: LayerEntry[] = [];
  const walk = (container: { layers: Layer[] }, prefix: string): void => {
    for (const layer of container.layers) {
      const path = prefix + layer.name;
      out.push({ path, layer });
      if (isContainer(layer)) walk(layer, `${path}/`);
    }
  };
  walk(model, '');
  return out;
}

/** A layer whose output is a spatial feature map. */
export interface FeatureMapLayer extends LayerEntry {
  /** `[null,h,w,C]` */
  readonly shape: ReadonlyArray<number | null>;
}

/**
 * The layers whose output is a feature map `[N,h,w,C]` with h·w > 1, in execution order
 * (a nested model's own layers come right after the model itself), leaving out the layer that
 * produces the model's output. Only layers that feed `outputs` (default: all the model's) count. Decided by output shape, so any layer type qualifies.
 */
export function featureMapLayers(model: LayersModel, outputs: readonly SymbolicTensor[] = model.outputs): FeatureMapLayer[] {
  const pathOf = new Map(listLayers(model).map((e) => [e.layer, e.path] as const));
  const found: FeatureMapLayer[] = [];
  // The model's own output (e.g. a segmentation map) has nothing after it to explain from.
  const final = new Set<SymbolicTensor>(outputs);
  const walk = (outputs: readonly SymbolicTensor[]): void => {
    for (const call of callsInOrder(outputs)) {
      const path = pathOf.get(call.layer);
      const isFinal = call.outputs.some((s) => final.has(s));
      if (path !== undefined && !isFinal && call.outputs.length === 1 && isSpatial(call.outputs[0].shape)) {
        found.push({ path, layer: call.layer, shape: call.outputs[0].shape });
      }
      if (isContainer(call.layer)) {
        if (isFinal) call.layer.outputs.forEach((s) => final.add(s));
        walk(call.layer.outputs);
      }
    }
  };
  walk(outputs);
  // A layer reached twice (shared) keeps its last position.
  return found.filter((e, i) => found.findIndex((f, j) => j > i && f.layer === e.layer) === -1);
}

function isSpatial(shape: ReadonlyArray<number | null>): boolean {
  if (shape.length !== 4) return false;
  const [, h, w] = shape;
  return h == null || w == null || h * w > 1;
}

/**
 * Finds the target layer: by path (`block5_conv3`, `mobilenet/conv_pw_13_relu`), by a bare
 * name that is unique among nested layers, or — when `name` is omitted — the last layer with a
 * spatial feature-map output that feeds `outputs` (default: all the model's).
 */
export function resolveTargetLayer(model: LayersModel, name?: string, outputs: readonly SymbolicTensor[] = model.outputs): LayerEntry {
  if (name === undefined) {
    const candidates = featureMapLayers(model, outputs);
    const last = candidates[candidates.length - 1];
    if (last === undefined) {
      throw new GradCamError(
        'NO_FEATURE_MAP_LAYER',
        'No layer of this model outputs a 4-D feature map [N,h,w,C] with a spatial size above 1×1, ' +
          'so there is nothing to build a class activation map from. Grad-CAM needs a convolutional model.',
      );
    }
    return last;
  }
  const all = listLayers(model);
  const exact = all.find((e) => e.path === name);
  if (exact !== undefined) return exact;
  const byBareName = all.filter((e) => e.layer.name === name);
  if (byBareName.length === 1) return byBareName[0];
  if (byBareName.length > 1) {
    throw new GradCamError(
      'UNKNOWN_LAYER',
      `Layer name "${name}" is ambiguous: ${byBareName.map((e) => `"${e.path}"`).join(', ')}. Use the full path.`,
    );
  }
  throw new GradCamError('UNKNOWN_LAYER', `No layer named "${name}" in model "${model.name}". ${describeCandidates(model)}`);
}

/** The candidate target layers with their output shapes, for error messages. */
function describeCandidates(model: LayersModel): string {
  const shown = 40;
  const candidates = featureMapLayers(model);
  if (candidates.length === 0) {
    return `It has no layer with a spatial feature-map output (4-D, larger than 1×1); its layers are: ${listLayers(model)
      .map((e) => e.path)
      .join(', ')}.`;
  }
  const lines = candidates.slice(-shown).map((e) => `  ${e.path} ${formatShape(e.shape)}`);
  const more = candidates.length > shown ? `  (and ${candidates.length - shown} earlier ones)\n` : '';
  return `Layers with a feature-map output (nested ones as outer/inner):\n${more}${lines.join('\n')}`;
}
