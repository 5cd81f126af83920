/** Plain JSON values as the converter writes them into model.json, and helpers to walk them. */

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A layer entry of a Keras model config: `{ class_name, config, inbound_nodes?, … }`. */
export interface LayerEntry extends JsonObject {
  class_name: string;
  config: JsonObject;
}

/** True for a layer entry (an object with a string `class_name` and an object `config`). */
export function isLayerEntry(value: unknown): value is LayerEntry {
  return isObject(value) && typeof value.class_name === 'string' && isObject(value.config);
}

/**
 * Every layer entry of a model config, nested models' layers included, in config order (a
 * nested model's entry comes before its own layers). Entries are returned by reference, so a
 * repair may edit them in place on its own copy of the topology.
 */
export function layerEntries(modelConfig: Json): LayerEntry[] {
  const out: LayerEntry[] = [];
  const walk = (entry: Json): void => {
    if (!isLayerEntry(entry)) return;
    out.push(entry);
    const inner = entry.config.layers;
    if (Array.isArray(inner)) inner.forEach(walk);
  };
  walk(modelConfig);
  return out;
}

/** A deep copy of JSON data, so repairs never edit the caller's artifacts. */
export function cloneJson<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
