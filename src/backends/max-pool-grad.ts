import * as tf from '@tensorflow/tfjs-core';

/**
 * A correct `MaxPoolGrad` for the wasm backend, and ones for webgl and webgpu that break ties
 * as the others do.
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

/** A `MaxPoolGrad` call's tensors and its pooling geometry (what every kernel here starts from). */
function poolGradArgs(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): { dy: tf.TensorInfo; input: tf.TensorInfo; info: tf.backend_util.Conv2DInfo } {
  const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  return { dy, input, info };
}

const maxPoolGrad: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, input, info } = poolGradArgs(inputs, attrs);
  const heap = backend as unknown as HeapBackend;
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

/*
 * webgl: tfjs-backend-webgl 4.x routes a window's gradient to its *last* maximum (its position
 * shader compares with `>=`), while cpu, PyTorch and the wasm kernel above take the first. Where
 * a window holds equal maxima — a relu6 layer saturated at 6 just before a max pool — the
 * gradient lands on another pixel, and the element-wise methods (HiResCAM, LayerCAM,
 * EigenGradCAM) at that layer gave heatmaps up to 0.7 away from cpu's (found by
 * test/browser/backend-matrix.e2e.test.ts). This kernel is tfjs's two passes with the first
 * maximum: one shader finds each window's first maximum (row-major), one sums into every input
 * pixel the gradients of the windows whose maximum it is.
 */

/** A shader program as tfjs-backend-webgl runs it (unpacked inputs and output, like tfjs's pool programs). */
interface WebGLProgramSpec {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
}

/** The slice of the webgl backend this kernel uses (the package is optional, so no import). */
interface WebGLBackendSlice {
  runWebGLProgram(program: WebGLProgramSpec, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

const webglMaxPoolGrad: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, input, info } = poolGradArgs(inputs, attrs);
  const gl = backend as unknown as WebGLBackendSlice;
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;

  // Pass 1, per output: the window's first maximum as fy·filterWidth + fx (−1: no pixel in the window).
  const positions: WebGLProgramSpec = {
    variableNames: ['x'],
    outputShape: info.outShape,
    userCode: `
      void main() {
        ivec4 coords = getOutputCoords();
        int yCorner = coords[1] * ${strideHeight} - ${padInfo.top};
        int xCorner = coords[2] * ${strideWidth} - ${padInfo.left};
        float best = 0.0;
        int position = -1;
        for (int fy = 0; fy < ${filterHeight}; fy++) {
          int row = yCorner + fy;
          if (row < 0 || row >= ${inHeight}) continue;
          for (int fx = 0; fx < ${filterWidth}; fx++) {
            int col = xCorner + fx;
            if (col < 0 || col >= ${inWidth}) continue;
            float value = getX(coords[0], row, col, coords[3]);
            // Strictly greater: an equal value later in the window does not take over.
            if (position < 0 || value > best) {
              best = value;
              position = fy * ${filterWidth} + fx;
            }
          }
        }
        setOutput(float(position));
      }`,
  };
  // Pass 2, per input pixel: the sum of dy over the windows whose first maximum it is.
  const backprop: WebGLProgramSpec = {
    variableNames: ['dy', 'maxPos'],
    outputShape: info.inShape,
    userCode: `
      void main() {
        ivec4 coords = getOutputCoords();
        float sum = 0.0;
        for (int fy = 0; fy < ${filterHeight}; fy++) {
          int yNum = coords[1] + ${padInfo.top} - fy;
          if (yNum < 0) continue;
          int oy = yNum / ${strideHeight};
          if (oy * ${strideHeight} != yNum || oy >= ${outHeight}) continue;
          for (int fx = 0; fx < ${filterWidth}; fx++) {
            int xNum = coords[2] + ${padInfo.left} - fx;
            if (xNum < 0) continue;
            int ox = xNum / ${strideWidth};
            if (ox * ${strideWidth} != xNum || ox >= ${outWidth}) continue;
            // Positions are small integers, exact in any float texture.
            if (abs(getMaxPos(coords[0], oy, ox, coords[3]) - float(fy * ${filterWidth} + fx)) < 0.5) {
              sum += getDy(coords[0], oy, ox, coords[3]);
            }
          }
        }
        setOutput(sum);
      }`,
  };
  const maxPos = gl.runWebGLProgram(positions, [input], 'float32');
  try {
    return gl.runWebGLProgram(backprop, [dy, maxPos], 'float32');
  } finally {
    gl.disposeIntermediateTensorInfo(maxPos);
  }
};

/** The webgl kernel config, for {@link ensureGradientKernels}. */
export const webglMaxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'webgl',
  kernelFunc: webglMaxPoolGrad,
};

/*
 * webgpu: tfjs-backend-webgpu 4.x has the same tie rule as webgl (its position pass keeps a
 * later value that is `>=` the best so far), so a window's gradient goes to its last maximum;
 * dw's pw1 and pw2 (relu6 into a max pool) gave HiResCAM, LayerCAM and EigenGradCAM heatmaps up
 * to 0.72 away from cpu's (test/browser/backend-matrix.e2e.test.ts). Same two passes as the
 * webgl kernel above, in WGSL: tfjs-backend-webgpu adds the bindings, `getCoordsFromIndex`,
 * `getX(…)`-style readers, `setOutputAtIndex` and `uniforms.size` around `main(index)`.
 */

/** A compute program as tfjs-backend-webgpu runs it (flat dispatch, one output value per invocation). */
interface WebGPUProgramSpec {
  variableNames: string[];
  outputShape: number[];
  /** Names the compiled pipeline in the backend's cache: it must tell apart every distinct shader. */
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Declares `uniforms.size`, the number of output values. */
  size: boolean;
  getUserCode(): string;
}

/** The slice of the webgpu backend this kernel uses (the package is optional, so no import). */
interface WebGPUBackendSlice {
  runWebGPUProgram(program: WebGPUProgramSpec, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

const WEBGPU_WORKGROUP = 64;

/** A fresh program (the backend writes its pipeline and final key into the object it runs). */
function webgpuProgram(key: string, variableNames: string[], outputShape: number[], body: string): WebGPUProgramSpec {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    variableNames,
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WEBGPU_WORKGROUP), 1, 1],
    workgroupSize: [WEBGPU_WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          ${body}
        }
      }`,
  };
}

const webgpuMaxPoolGrad: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, input, info } = poolGradArgs(inputs, attrs);
  const gpu = backend as unknown as WebGPUBackendSlice;
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
  // Every constant is written into the shader, so the key carries them all.
  const key = `tfjsGradcamMaxPoolGrad_${inHeight}_${inWidth}_${outHeight}_${outWidth}_${strideHeight}_${strideWidth}_${filterHeight}_${filterWidth}_${padInfo.top}_${padInfo.left}`;

  // Pass 1, per output: the window's first maximum as fy·filterWidth + fx (−1: no pixel in the window).
  const positions = webgpuProgram(
    `${key}_positions`,
    ['x'],
    info.outShape,
    `
          let yCorner = coords[1] * ${strideHeight} - ${padInfo.top};
          let xCorner = coords[2] * ${strideWidth} - ${padInfo.left};
          var best = 0.0;
          var position = -1;
          for (var fy = 0; fy < ${filterHeight}; fy++) {
            let row = yCorner + fy;
            if (row < 0 || row >= ${inHeight}) { continue; }
            for (var fx = 0; fx < ${filterWidth}; fx++) {
              let col = xCorner + fx;
              if (col < 0 || col >= ${inWidth}) { continue; }
              let value = getX(coords[0], row, col, coords[3]);
              // Strictly greater: an equal value later in the window does not take over.
              if (position < 0 || value > best) {
                best = value;
                position = fy * ${filterWidth} + fx;
              }
            }
          }
          setOutputAtIndex(index, f32(position));`,
  );
  // Pass 2, per input pixel: the sum of dy over the windows whose first maximum it is.
  const backprop = webgpuProgram(
    `${key}_backprop`,
    ['dy', 'maxPos'],
    info.inShape,
    `
          var total = 0.0;
          for (var fy = 0; fy < ${filterHeight}; fy++) {
            let yNum = coords[1] + ${padInfo.top} - fy;
            if (yNum < 0) { continue; }
            let oy = yNum / ${strideHeight};
            if (oy * ${strideHeight} != yNum || oy >= ${outHeight}) { continue; }
            for (var fx = 0; fx < ${filterWidth}; fx++) {
              let xNum = coords[2] + ${padInfo.left} - fx;
              if (xNum < 0) { continue; }
              let ox = xNum / ${strideWidth};
              if (ox * ${strideWidth} != xNum || ox >= ${outWidth}) { continue; }
              // Positions are small integers, exact in float32.
              if (i32(round(getMaxPos(coords[0], oy, ox, coords[3]))) == fy * ${filterWidth} + fx) {
                total += getDy(coords[0], oy, ox, coords[3]);
              }
            }
          }
          setOutputAtIndex(index, total);`,
  );
  const maxPos = gpu.runWebGPUProgram(positions, [input], 'float32');
  try {
    return gpu.runWebGPUProgram(backprop, [dy, maxPos], 'float32');
  } finally {
    gpu.disposeData(maxPos.dataId);
  }
};

/** The webgpu kernel config, for {@link ensureGradientKernels}. */
export const webgpuMaxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'webgpu',
  kernelFunc: webgpuMaxPoolGrad,
};
