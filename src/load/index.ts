export { loadModel, modelFormat, repairArtifacts } from './load-model';
export type { LoadModelOptions, RepairedArtifacts } from './load-model';
export { registerKerasLayers } from './register';
