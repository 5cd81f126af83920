import * as tf from '@tensorflow/tfjs-core';

/**
 * A correct `MaxPoolGrad` for the wasm backend.
 *
 * tfjs-backend-wasm 4.x drops the gradient of every pooling window whose maximum is ≤ 0
 * (checked on 4.22: an all-zero window, common after a ReLU, passes no gradient at all). Grad-CAM
 * averages gradients per channel, so the lost mass changes the channel weights and the map.
 * This kernel routes each window's gradient to its first maximum in row-major order — what the
 * cpu backend and PyTorch do.
 */

/** The slice of the wasm backend this kernel uses (the package is optional, so no import). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

const maxPoolGrad: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const heap = backend as unknown as HeapBackend;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const x = heap.typedArrayFromHeap(input);
  const dyValues = heap.typedArrayFromHeap(dy);
  const out = heap.makeOutput(input.shape, 'float32');
  const dx = heap.typedArrayFromHeap(out);
  dx.fill(0);

  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, padInfo } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - padInfo.top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - padInfo.left;
        for (let c = 0; c < inChannels; c++) {
          let best = -1;
          let bestValue = -Infinity;
          for (let fy = Math.max(0, -y0); fy < filterHeight && y0 + fy < inHeight; fy++) {
            for (let fx = Math.max(0, -x0); fx < filterWidth && x0 + fx < inWidth; fx++) {
              const at = ((b * inHeight + y0 + fy) * inWidth + x0 + fx) * inChannels + c;
              if (x[at] > bestValue || best < 0) {
                best = at;
                bestValue = x[at];
              }
            }
          }
          if (best >= 0) dx[best] += dyValues[((b * outHeight + oy) * outWidth + ox) * inChannels + c];
        }
      }
    }
  }
  return out;
};

/** The kernel config, for {@link ensureGradientKernels}. */
export const maxPoolGradConfig: tf.KernelConfig = { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad };
