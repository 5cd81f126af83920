import type { JsonObject } from '../json';
import { keras3ActivationNames, keras3DtypePolicy, keras3InboundNodes, keras3InputShape, keras3ModelEnds } from './keras3';
import { globalPoolingKeepDims, groupedConv, separableConvKernelFields, tfOpLambdaCalls } from './layer-configs';

/** A topology repair: edits a model config in place, returns whether it changed anything. */
export type TopologyRepair = (modelConfig: JsonObject) => boolean;

/**
 * The repairs, by name, in the order they run: what the converter writes from Keras 2 and 3
 * models that tfjs-layers 4.22 cannot read, turned into what it can.
 */
export const TOPOLOGY_REPAIRS: ReadonlyArray<readonly [string, TopologyRepair]> = [
  ['keras3InputShape', keras3InputShape],
  ['keras3DtypePolicy', keras3DtypePolicy],
  ['keras3InboundNodes', keras3InboundNodes],
  ['keras3ModelEnds', keras3ModelEnds],
  ['keras3ActivationNames', keras3ActivationNames],
  ['tfOpLambdaCalls', tfOpLambdaCalls],
  ['separableConvKernelFields', separableConvKernelFields],
  ['globalPoolingKeepDims', globalPoolingKeepDims],
  ['groupedConv', groupedConv],
];

/** Runs every repair on `modelConfig` (edited in place); returns the names of those that changed it. */
export function repairModelConfig(modelConfig: JsonObject): string[] {
  return TOPOLOGY_REPAIRS.filter(([, repair]) => repair(modelConfig)).map(([name]) => name);
}
