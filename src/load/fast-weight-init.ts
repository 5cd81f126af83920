import * as tf from '@tensorflow/tfjs-core';
import { type Json, type JsonObject, isLayerEntry, isObject } from './json';
import { registeredClass } from './register';

/** tfjs-layers' model `fromConfig` (`Container`, `Sequential`), with its optional `fastWeightInit`. */
type FastFromConfig = (
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  config: tf.serialization.ConfigDict,
  customObjects?: tf.serialization.ConfigDict,
  fastWeightInit?: boolean,
) => tf.serialization.Serializable;

/**
 * Custom objects for `tfl.models.modelFromJSON` that build the model without running its
 * layers' weight initializers: the topology's model class is built by its own registered
 * `fromConfig` with tfjs-layers' `fastWeightInit` on, so each weight starts as zeros (glorot on
 * VGG16's 138M weights costs ~1.5 s) — right only when a strict `loadWeights` follows, which sets
 * every weight or fails. This is what `tfl.loadLayersModel` does; the configs, and so
 * `getConfig()`, are unchanged. The entry has the form of tfjs-core's
 * `SerializationMap.classNameMap` (`[class, fromConfig]`), the form tfjs-layers reads classes
 * from custom objects in.
 *
 * Returns `{}` (initializers run as before) where the model class is not registered, or where
 * a layer of that class sits inside a `Sequential`: tfjs-layers 4.22 looks such a layer up in
 * its global custom objects under the key `'className'` (a typo) and fails.
 */
export function fastWeightInitObjects(modelTopology: JsonObject): tf.serialization.ConfigDict {
  const modelConfig = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (!isLayerEntry(modelConfig)) return {};
  const className = modelConfig.class_name;
  const registered = registeredClass(className);
  if (registered === undefined || nestedInSequential(modelConfig, className)) return {};
  const [cls, fromConfig] = registered;
  const fast = (c: typeof cls, config: tf.serialization.ConfigDict, customObjects?: tf.serialization.ConfigDict): tf.serialization.Serializable =>
    (fromConfig as FastFromConfig)(c, config, customObjects, true);
  return { [className]: [cls, fast] } as unknown as tf.serialization.ConfigDict;
}

/** True when a layer entry of class `className` lies anywhere below a `Sequential` entry in `value`. */
function nestedInSequential(value: Json, className: string, inSequential = false): boolean {
  if (Array.isArray(value)) return value.some((item) => nestedInSequential(item, className, inSequential));
  if (!isObject(value)) return false;
  const entry = isLayerEntry(value) ? value.class_name : undefined;
  if (inSequential && entry === className) return true;
  const below = inSequential || entry === 'Sequential';
  return Object.values(value).some((item) => nestedInSequential(item, className, below));
}
