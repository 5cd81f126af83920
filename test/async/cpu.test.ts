import { describeAsyncSuite } from './async-suite';

// The cpu backend (test/helpers/setup.ts registers it and makes it the default).
describeAsyncSuite();
