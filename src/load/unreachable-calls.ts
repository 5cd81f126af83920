import { GradCamError } from '../errors';
import { type Json, type JsonObject, type LayerEntry, isLayerEntry, layerEntries } from './json';

/** A layer call of a functional model config that can never be made, and the input it waits for. */
export interface UnreachableCall {
  /** The layer whose call waits. */
  readonly layer: string;
  /** `[layer, nodeIndex]` of an input that does not exist when the passes stop. */
  readonly waitsFor: readonly [string, number];
}

/** `[layer, nodeIndex, …]` references of one inbound node (the form tfjs-layers reads). */
function refsOf(nodeData: Json): Array<readonly [string, number]> {
  if (!Array.isArray(nodeData)) return [];
  return nodeData.flatMap((ref) => (Array.isArray(ref) && typeof ref[0] === 'string' && typeof ref[1] === 'number' ? [[ref[0], ref[1]] as const] : []));
}

/**
 * The calls of one functional model config (its own layers, not nested models') that tfjs-layers
 * could never make. tfjs-layers builds a model by making each layer call once the nodes it reads
 * exist, and repeats its passes until every call is made: a call that reads a layer that is not
 * there, or a node that layer never gets (a layer written with no `inbound_nodes` although others
 * read it), makes it loop forever. This replays those passes without building anything.
 */
function unreachableCallsOf(layers: readonly LayerEntry[]): UnreachableCall[] {
  // Nodes each layer has so far. An InputLayer has its one node from the start, and so has a
  // nested model (the node linking its own inputs to its outputs): Keras 2 numbers the calls of
  // a nested model from 1 (ConvNeXt's `convnext_tiny_stem`, 1).
  const nodes = new Map<string, number>();
  const pending: Array<{ layer: string; refs: Array<readonly [string, number]> }> = [];
  for (const entry of layers) {
    const name = typeof entry.config.name === 'string' ? entry.config.name : typeof entry.name === 'string' ? entry.name : '';
    nodes.set(name, entry.class_name === 'InputLayer' || Array.isArray(entry.config.layers) ? 1 : 0);
    if (Array.isArray(entry.inbound_nodes)) entry.inbound_nodes.forEach((node) => pending.push({ layer: name, refs: refsOf(node) }));
  }
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    for (let i = 0; i < pending.length; ) {
      const { layer, refs } = pending[i];
      if (refs.every(([from, node]) => (nodes.get(from) ?? 0) > node)) {
        // A node with no inputs is dropped without a call (tfjs-layers does the same).
        if (refs.length > 0) nodes.set(layer, (nodes.get(layer) ?? 0) + 1);
        pending.splice(i, 1);
        progress = true;
      } else {
        i++;
      }
    }
  }
  return pending.map(({ layer, refs }) => {
    const waitsFor = refs.find(([from, node]) => (nodes.get(from) ?? 0) <= node) ?? (['', 0] as const);
    return { layer, waitsFor };
  });
}

/**
 * Every layer call in a model config (nested functional models included, after the repairs: the
 * inbound-node form tfjs-layers reads) that can never be made. Empty for a buildable topology.
 */
export function unreachableCalls(modelConfig: Json): UnreachableCall[] {
  return layerEntries(modelConfig).flatMap((entry) => {
    const inner = entry.config.layers;
    // Sequential configs have no inbound nodes: their order is their topology.
    if (!Array.isArray(inner) || !inner.some((l) => isLayerEntry(l) && Array.isArray(l.inbound_nodes))) return [];
    return unreachableCallsOf(inner.filter(isLayerEntry));
  });
}

/**
 * Throws a `GradCamError` (`BAD_INPUT`) when some layer call of `modelConfig` can never be made,
 * where tfjs-layers' `modelFromJSON` would never return. Keras 2 writes such a topology when
 * layers of a built model were renamed by setting `layer._name` (its nodes are looked up by the
 * old names, so the renamed layers are saved with no inbound nodes).
 */
export function assertCallsReachable(modelConfig: JsonObject): void {
  const stuck = unreachableCalls(modelConfig);
  if (stuck.length === 0) return;
  // The inputs that are missing outright, not just waiting on another stuck call.
  const waiting = new Set(stuck.map((c) => c.layer));
  const never = [...new Set(stuck.filter((c) => !waiting.has(c.waitsFor[0])).map((c) => `${c.waitsFor[0]}:${c.waitsFor[1]}`))];
  const shown = never.slice(0, 5).map((n) => `"${n}"`).join(', ') + (never.length > 5 ? `, … (${never.length} in all)` : '');
  throw new GradCamError(
    'BAD_INPUT',
    `Cannot load the model: ${stuck.length} layer call(s) in model.json can never be made, e.g. "${stuck[0].layer}" reads "${stuck[0].waitsFor.join(':')}". ` +
      (never.length > 0
        ? `Read by other layers but never made (a layer missing, or written with no inbound nodes): ${shown}. `
        : 'The calls wait on each other in a cycle. ') +
      'Keras 2 saves a model so when its layers were renamed by setting layer._name after it was built: rename them in ' +
      'model.get_config() and rebuild the model with Model.from_config (see the "From Keras" guide), then save and convert again.',
  );
}
