/**
 * The tests' page: tfjs and the browser entry's functions on `window.__browserApi`, so a test
 * can call them in a real browser with hand-made tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { drawHeatmap, heatmapImageData, toImageData } from '../../../src/browser';
import { useBackend } from './backends';

/** What the tests call. */
export interface BrowserApi {
  tf: typeof tf;
  drawHeatmap: typeof drawHeatmap;
  heatmapImageData: typeof heatmapImageData;
  toImageData: typeof toImageData;
  useBackend: typeof useBackend;
}

declare global {
  interface Window {
    __browserApi?: BrowserApi;
  }
}

window.__browserApi = { tf, drawHeatmap, heatmapImageData, toImageData, useBackend };
