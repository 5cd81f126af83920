import * as tf from '@tensorflow/tfjs-core';
import { GlobalPooling2DKeepDims } from './layers/global-pooling';
import { GroupedConv2D } from './layers/grouped-conv';
import { LayerScale, StochasticDepth } from './layers/layer-scale';
import { Normalization } from './layers/normalization';
import { TFOpLambda } from './layers/tf-op-lambda';

/** The layer classes tfjs-layers lacks and Keras applications (or the repairs) use. */
export const KERAS_LAYER_CLASSES = [Normalization, TFOpLambda, LayerScale, StochasticDepth, GroupedConv2D, GlobalPooling2DKeepDims] as const;

/** The class registered under `className` (by tfjs, the user or us) and its `fromConfig`, if any. */
export function registeredClass(className: string): [tf.serialization.SerializableConstructor<tf.serialization.Serializable>, tf.serialization.FromConfigMethod<tf.serialization.Serializable>] | undefined {
  return tf.serialization.SerializationMap.getMap().classNameMap[className];
}

/** True when some class is registered under `className`. */
export function isRegistered(className: string): boolean {
  return registeredClass(className) !== undefined;
}

/**
 * Registers each of {@link KERAS_LAYER_CLASSES} with tfjs's serialization, unless a class of that
 * name is registered already: a class the user registered is never replaced.
 */
export function registerKerasLayers(): void {
  for (const cls of KERAS_LAYER_CLASSES) {
    if (!isRegistered(cls.className)) tf.serialization.registerClass(cls);
  }
}
