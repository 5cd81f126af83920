/**
 * The tests' page: tfjs and the browser entry's functions on `window.__browserApi`, so a test
 * can call them in a real browser with hand-made tensors; and the library's explainers with the
 * parity fixtures' network builder, so the backend matrix test runs them on cpu, wasm, webgl
 * and webgpu. Opened with `?threads=N`, its wasm backend asks for N threads (backends.ts); the
 * demo model and the benchmark's VGG16- and MobileNetV2-shaped builders are there for
 * `npm run measure:threads`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { drawHeatmap, drawPath, heatmapImageData, toImageData } from '../../../src/browser';
import { CAM_METHODS, GradCam, deprocessSaliency, ensureGradientKernels, guidedBackprop, guidedGradCam } from '../../../src';
// Browser-safe (no node:fs): builds a fixture's network from its JSON, which the test passes in.
import { buildFixtureModel } from '../../../test/helpers/fixture-model';
import { mobileNetV2, vgg16 } from '../../../bench/models';
import { loadDemoModel } from '../../../src/demo';
import { useBackend, wasmThreads } from './backends';

/** What the tests call. */
export interface BrowserApi {
  tf: typeof tf;
  drawHeatmap: typeof drawHeatmap;
  drawPath: typeof drawPath;
  heatmapImageData: typeof heatmapImageData;
  toImageData: typeof toImageData;
  useBackend: typeof useBackend;
  /** The threads of the page's wasm backend (0 before it starts). */
  wasmThreads: typeof wasmThreads;
  loadDemoModel: typeof loadDemoModel;
  /** The benchmark's networks (bench/models.ts), seeded random weights, 224×224×3 → 1000. */
  vgg16: typeof vgg16;
  mobileNetV2: typeof mobileNetV2;
  GradCam: typeof GradCam;
  CAM_METHODS: typeof CAM_METHODS;
  guidedBackprop: typeof guidedBackprop;
  guidedGradCam: typeof guidedGradCam;
  deprocessSaliency: typeof deprocessSaliency;
  ensureGradientKernels: typeof ensureGradientKernels;
  buildFixtureModel: typeof buildFixtureModel;
}

declare global {
  interface Window {
    __browserApi?: BrowserApi;
  }
}

window.__browserApi = {
  tf,
  drawHeatmap,
  drawPath,
  heatmapImageData,
  toImageData,
  useBackend,
  wasmThreads,
  loadDemoModel,
  vgg16,
  mobileNetV2,
  GradCam,
  CAM_METHODS,
  guidedBackprop,
  guidedGradCam,
  deprocessSaliency,
  ensureGradientKernels,
  buildFixtureModel,
};
