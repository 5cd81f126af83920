import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The benchmark's networks, built with fixed-seed random weights (no download): the shapes and
 * topologies of VGG16 and MobileNetV2 as in Keras applications, 224×224×3 → 1000 classes.
 */

let seed = 1;
const init = () => tfl.initializers.glorotUniform({ seed: seed++ });

/** VGG16: 13 3×3 convolutions in 5 blocks with max pooling, flatten, two 4096 Dense, 1000 classes. */
export function vgg16(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input' });
  let x: tfl.SymbolicTensor = input;
  const blocks: Array<[number, number]> = [
    [64, 2],
    [128, 2],
    [256, 3],
    [512, 3],
    [512, 3],
  ];
  blocks.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tfl.layers
        .conv2d({ name: `block${b + 1}_conv${c}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() })
        .apply(x) as tfl.SymbolicTensor;
    }
    x = tfl.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }).apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ name: 'fc1', units: 4096, activation: 'relu', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ name: 'fc2', units: 4096, activation: 'relu', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ name: 'vgg16', inputs: input, outputs: x });
}

function convBn(x: tfl.SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number, relu6: boolean) {
  let y = tfl.layers
    .conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init() })
    .apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: `${name}_BN`, epsilon: 1e-3, momentum: 0.999 }).apply(y) as tfl.SymbolicTensor;
  return relu6 ? (tfl.layers.reLU({ name: `${name}_relu`, maxValue: 6 }).apply(y) as tfl.SymbolicTensor) : y;
}

/** An inverted residual block: expand 1×1 (×t) → depthwise 3×3 (stride s) → project 1×1 (linear), plus a skip when shapes allow. */
function invertedResidual(x: tfl.SymbolicTensor, id: number, filters: number, stride: number, expansion: number) {
  const inChannels = x.shape[3] as number;
  const prefix = `block_${id}_`;
  let y = expansion === 1 ? x : convBn(x, `${prefix}expand`, inChannels * expansion, 1, 1, true);
  y = tfl.layers
    .depthwiseConv2d({ name: `${prefix}depthwise`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init() })
    .apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: `${prefix}depthwise_BN`, epsilon: 1e-3 }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ name: `${prefix}depthwise_relu`, maxValue: 6 }).apply(y) as tfl.SymbolicTensor;
  y = convBn(y, `${prefix}project`, filters, 1, 1, false);
  if (stride === 1 && inChannels === filters) y = tfl.layers.add({ name: `${prefix}add` }).apply([x, y]) as tfl.SymbolicTensor;
  return y;
}

/** MobileNetV2 (α = 1): the real topology, 17 inverted residual blocks, 1280-channel head, GAP, 1000 classes. */
export function mobileNetV2(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input' });
  let x = convBn(input, 'Conv1', 32, 3, 2, true);
  x = invertedResidual(x, 0, 16, 1, 1);
  const stages: Array<[number, number, number]> = [
    [24, 2, 2],
    [32, 2, 3],
    [64, 2, 4],
    [96, 1, 3],
    [160, 2, 3],
    [320, 1, 1],
  ];
  let id = 1;
  for (const [filters, stride, repeats] of stages) {
    for (let r = 0; r < repeats; r++) x = invertedResidual(x, id++, filters, r === 0 ? stride : 1, 6);
  }
  x = convBn(x, 'Conv_1', 1280, 1, 1, true); // its ReLU6 is "Conv_1_relu", the last feature map
  x = tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ name: 'mobilenetv2', inputs: input, outputs: x });
}

/**
 * ResNet50-shaped for Faster-ScoreCAM: a 224×224×3 input, strided convolutions down to ResNet50's
 * last block, 7×7×2048 ('conv5_block3_out', after a residual add), GAP and 1000 classes. Far fewer
 * layers than ResNet50 (a forward pass is cheaper): what matters here is the 2048 channels
 * ScoreCAM scores, one forward pass each.
 */
export function resNet50Shaped(): tfl.LayersModel {
  const input = tfl.input({ shape: [224, 224, 3], name: 'input' });
  const conv = (x: tfl.SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number): tfl.SymbolicTensor =>
    tfl.layers
      .conv2d({ name, filters, kernelSize, strides, padding: 'same', activation: 'relu', kernelInitializer: init() })
      .apply(x) as tfl.SymbolicTensor;
  let x = conv(input, 'conv1', 32, 7, 4); // 56×56
  x = conv(x, 'conv2', 128, 1, 2); // 28×28
  x = conv(x, 'conv3', 256, 1, 2); // 14×14
  x = conv(x, 'conv4', 512, 1, 2); // 7×7
  const shortcut = conv(x, 'conv5_shortcut', 2048, 1, 1);
  const block = conv(conv(x, 'conv5_b', 256, 3, 1), 'conv5_c', 2048, 1, 1);
  x = tfl.layers.add({ name: 'conv5_block3_out' }).apply([shortcut, block]) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ name: 'predictions', units: 1000, activation: 'softmax', kernelInitializer: init() }).apply(x);
  return tfl.model({ inputs: input, outputs: output as tfl.SymbolicTensor, name: 'resnet50_shaped' });
}
