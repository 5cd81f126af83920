import type { LiveStats } from './live';

/** What the page keeps on `window.__gradcam` for the end-to-end test to read. */
export interface PageHook extends LiveStats {
  /** True once the model is loaded and the first source started. */
  ready: boolean;
  /** The last error shown, '' if none. */
  error: string;
  mode: 'video' | 'still';
  /** The target layer in use. */
  layer: string;
  /** Still mode: the top class of the last picture rendered, and how many renders finished. */
  stillLabel: string;
  stillRenders: number;
  /** `window.crossOriginIsolated`: whether the page was served with COOP/COEP, which wasm threads need. */
  crossOriginIsolated: boolean;
}
