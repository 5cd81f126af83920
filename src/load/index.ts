export { loadModel, modelFormat, repairArtifacts } from './load-model';
export type { LoadAnyModelOptions, LoadModelOptions, RepairedArtifacts } from './load-model';
export type { GraphModelLoader } from './graph-load';
export { registerKerasLayers } from './register';
