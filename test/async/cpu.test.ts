import { ORIGINAL_FIXTURE_NAMES } from '../helpers/fixtures';
import { describeAsyncSuite } from './async-suite';

// The cpu backend (test/helpers/setup.ts registers it and makes it the default), ~30× slower than
// wasm here: the two original parity networks (plain convolutions; depthwise-separable), with
// ScoreCAM, AblationCAM, guided backpropagation and the overlap check on the first only. wasm
// runs everything on every fixture (wasm.test.ts); the async path is the same code on both.
describeAsyncSuite(ORIGINAL_FIXTURE_NAMES, ['plain']);
