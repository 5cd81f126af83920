/** A worker thread of `tfjs-gradcam explain --jobs N` (built as dist/cli-worker.js). */
import '@tensorflow/tfjs-layers';
import { serveJobs } from '../node/pool/protocol';
import { cliRunner } from './worker-jobs';

serveJobs(cliRunner);
