import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError, loadModel } from '../../src';
import type { JsonObject } from '../../src/load/json';
import { assertCallsReachable, unreachableCalls } from '../../src/load/unreachable-calls';

/**
 * A topology in which some layer call can never be made makes tfjs-layers' modelFromJSON loop
 * forever (seen with MobileNetV3 saved by Keras 2 after `layer._name = …`: the renamed layers
 * are written with no inbound nodes). The check finds such calls before anything is built.
 */
const layer = (class_name: string, name: string, inbound: Array<Array<[string, number, number, JsonObject]>>): JsonObject => ({
  class_name,
  name,
  config: { name },
  inbound_nodes: inbound,
});
const functional = (layers: JsonObject[]): JsonObject => ({ class_name: 'Functional', config: { name: 'm', layers } });

describe('unreachableCalls', () => {
  it('finds none in a buildable topology, in any layer order, shared layers included', () => {
    const m = functional([
      layer('Add', 'add', [[['d', 1, 0, {}], ['in', 0, 0, {}]]]),
      layer('Dense', 'd', [[['in', 0, 0, {}]], [['d', 0, 0, {}]]]), // called twice: d(d(in))
      layer('InputLayer', 'in', []),
    ]);
    expect(unreachableCalls(m)).toEqual([]);
    expect(() => assertCallsReachable(m)).not.toThrow();
  });

  it('finds every call downstream of a layer written with no inbound nodes (Keras 2 after layer._name = …)', () => {
    const m = functional([
      layer('InputLayer', 'in', []),
      layer('Conv2D', 'Conv', [[['in', 0, 0, {}]]]),
      layer('BatchNormalization', 'Conv_BatchNorm', []), // was "Conv/BatchNorm", renamed on the built model
      layer('ReLU', 're_lu', [[['Conv_BatchNorm', 0, 0, {}]]]),
      layer('Multiply', 'multiply', [[['Conv', 0, 0, {}], ['re_lu', 0, 0, {}]]]),
    ]);
    expect(unreachableCalls(m)).toEqual([
      { layer: 're_lu', waitsFor: ['Conv_BatchNorm', 0] },
      { layer: 'multiply', waitsFor: ['re_lu', 0] },
    ]);
    expect(() => assertCallsReachable(m)).toThrow(GradCamError);
    expect(() => assertCallsReachable(m)).toThrow(/2 layer call\(s\).*"re_lu" reads "Conv_BatchNorm:0".*never made.*"Conv_BatchNorm:0"\..*layer\._name.*from_config/);
  });

  it('finds a call that reads a layer that is not there, or a node its layer never gets', () => {
    const m = functional([
      layer('InputLayer', 'in', []),
      layer('Dense', 'd', [[['in', 0, 0, {}]]]),
      layer('Dense', 'e', [[['gone', 0, 0, {}]]]),
      layer('Dense', 'f', [[['d', 1, 0, {}]]]),
    ]);
    expect(unreachableCalls(m)).toEqual([
      { layer: 'e', waitsFor: ['gone', 0] },
      { layer: 'f', waitsFor: ['d', 1] },
    ]);
  });

  it('names a cycle as such', () => {
    const m = functional([layer('InputLayer', 'in', []), layer('Dense', 'a', [[['b', 0, 0, {}]]]), layer('Dense', 'b', [[['a', 0, 0, {}]]])]);
    expect(unreachableCalls(m).map((c) => c.layer)).toEqual(['a', 'b']);
    expect(() => assertCallsReachable(m)).toThrow(/in a cycle/);
  });

  it('looks into nested functional models, and leaves Sequential configs (no inbound nodes) alone', () => {
    const inner = { ...functional([layer('InputLayer', 'i', []), layer('Dense', 'x', [[['lost', 0, 0, {}]]])]), name: 'inner', inbound_nodes: [[['in', 0, 0, {}]]] };
    const m = functional([layer('InputLayer', 'in', []), inner]);
    expect(unreachableCalls(m)).toEqual([{ layer: 'x', waitsFor: ['lost', 0] }]);
    const sequential = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } };
    expect(unreachableCalls(sequential)).toEqual([]);
  });

  it("counts a nested model's own node: Keras 2 refers to its first call as node 1 (ConvNeXt's stem)", () => {
    const stem = { class_name: 'Sequential', name: 'stem', config: { name: 'stem', layers: [{ class_name: 'Dense', config: { name: 'd' } }] }, inbound_nodes: [[['in', 0, 0, {}]]] };
    const m = functional([layer('InputLayer', 'in', []), stem, layer('Dense', 'after', [[['stem', 1, 0, {}]]])]);
    expect(unreachableCalls(m)).toEqual([]);
  });
});

describe('loadModel on a topology that can never be built', () => {
  it('fails at once with a GradCamError (tfjs-layers alone never returns), leaking nothing', async () => {
    const input = tfl.input({ shape: [4], name: 'in' });
    const hidden = tfl.layers.dense({ units: 3, name: 'Dense_1' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, name: 'out' }).apply(hidden) as tfl.SymbolicTensor });
    let artifacts: tf.io.ModelArtifacts = {};
    await model.save({ save: async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) });
    model.dispose();
    // What Keras 2 writes for a layer renamed on the built model: no inbound nodes of its own.
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as JsonObject;
    const layers = ((topology.config as JsonObject).layers as JsonObject[]).filter((l) => (l.config as JsonObject).name === 'Dense_1');
    expect(layers).toHaveLength(1);
    layers[0].inbound_nodes = [];
    const before = tf.memory().numTensors;
    const err = (await loadModel({ load: async () => ({ ...artifacts, modelTopology: topology }) }).catch((e: unknown) => e)) as GradCamError;
    expect(err).toBeInstanceOf(GradCamError);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/"out" reads "Dense_1:0"/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
