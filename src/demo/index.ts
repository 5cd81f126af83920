/**
 * The demo: procedural shape scenes with ground-truth boxes, the small CNN trained on them that
 * ships with the package, and localization metrics to score heatmaps against the boxes.
 *
 * @example
 * ```ts
 * import { GradCam } from 'tfjs-gradcam';
 * import { generateScenes, loadDemoModel, pointingHit } from 'tfjs-gradcam/demo';
 *
 * const model = await loadDemoModel();
 * const { images, boxes } = generateScenes(8, 42);
 * const result = new GradCam(model).explain(images);
 * const maps = await result.heatmap.data(); // [8,64,64]
 * const hits = boxes.filter((box, i) => pointingHit(maps.subarray(i * 4096, (i + 1) * 4096), 64, box));
 * ```
 *
 * @packageDocumentation
 */
export { DEMO_CLASSES, DEMO_IMAGE_SIZE, generateScenes, renderScene } from './scenes';
export type { Box, Scene } from './scenes';
export { loadDemoModel } from './model';
export { iou, localizationBox, pointingHit } from './localization';
