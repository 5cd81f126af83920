/**
 * The tests' page: tfjs and the browser entry's functions on `window.__browserApi`, so a test
 * can call them in a real browser with hand-made tensors; and the library's explainers with the
 * parity fixtures' network builder, so the backend matrix test runs them on cpu, wasm, webgl
 * and webgpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { drawHeatmap, drawPath, heatmapImageData, toImageData } from '../../../src/browser';
import { CAM_METHODS, GradCam, deprocessSaliency, ensureGradientKernels, guidedBackprop, guidedGradCam } from '../../../src';
// Browser-safe (no node:fs): builds a fixture's network from its JSON, which the test passes in.
import { buildFixtureModel } from '../../../test/helpers/fixture-model';
import { useBackend } from './backends';

/** What the tests call. */
export interface BrowserApi {
  tf: typeof tf;
  drawHeatmap: typeof drawHeatmap;
  drawPath: typeof drawPath;
  heatmapImageData: typeof heatmapImageData;
  toImageData: typeof toImageData;
  useBackend: typeof useBackend;
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
  GradCam,
  CAM_METHODS,
  guidedBackprop,
  guidedGradCam,
  deprocessSaliency,
  ensureGradientKernels,
  buildFixtureModel,
};
