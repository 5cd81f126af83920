import { describeAsyncSuite } from './async-suite';

// The cpu backend (test/helpers/setup.ts registers it and makes it the default). ScoreCAM,
// AblationCAM, guided backpropagation and the overlap check on the first fixture only: on cpu
// they take minutes per fixture; wasm runs them on every fixture.
describeAsyncSuite(['plain']);
