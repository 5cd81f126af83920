import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { depthwiseBackpropConfigs } from './depthwise-backprop';
import { maxPoolGradConfig, webglMaxPoolGradConfig, webgpuMaxPoolGradConfig } from './max-pool-grad';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/**
 * Gradient kernels the library supplies where a backend lacks one or gets it wrong, installed
 * once per backend the first time gradients are taken on it:
 *
 * - wasm `MaxPoolGrad` — replaced: the wasm one drops the gradient of windows whose maximum is
 *   ≤ 0 (see max-pool-grad.ts);
 * - wasm `Conv2DBackpropFilter` — added: missing in tfjs-backend-wasm 4.x, needed for the
 *   gradient of convolutions with a fused linear/relu6 activation and for training;
 * - wasm `DepthwiseConv2dNativeBackpropInput` and `…BackpropFilter` — added: missing too, needed
 *   whenever a depthwise convolution lies after the target layer (MobileNet-style networks);
 * - wasm `UnsortedSegmentSum` — added: missing too; it is the gradient of `gather` (GatherV2 in
 *   converted GraphModels);
 * - webgl `MaxPoolGrad` — replaced: the webgl one routes a window's gradient to its last
 *   maximum where the others take the first, so tied windows (e.g. relu6 at 6) differed;
 * - webgpu `MaxPoolGrad` — replaced, for the same reason as webgl's.
 *
 * They stay installed for the page or process and serve every user of that backend, training
 * included: with them wasm, webgl and webgpu give the same gradients as the cpu backend.
 */
const KERNELS: readonly tf.KernelConfig[] = [
  maxPoolGradConfig,
  webglMaxPoolGradConfig,
  webgpuMaxPoolGradConfig,
  conv2dBackpropFilterConfig,
  ...depthwiseBackpropConfigs,
  unsortedSegmentSumConfig,
];

const installedFor = new Set<string>();

/**
 * Installs the library's gradient kernels for the active backend (a no-op after the first call,
 * and on backends that need none). Called by every function that takes gradients; call it
 * yourself before training a model on wasm.
 */
export function ensureGradientKernels(): void {
  const backend = tf.getBackend();
  if (installedFor.has(backend)) return;
  for (const config of KERNELS.filter((k) => k.backendName === backend)) {
    if (tf.getKernel(config.kernelName, backend) !== undefined) tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel(config);
  }
  installedFor.add(backend);
}
