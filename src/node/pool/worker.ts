/** The worker thread of `explainInWorkers` (built as dist/pool-worker.{js,cjs}). */
import '@tensorflow/tfjs-layers';
import { serveJobs } from './protocol';
import { explainRunner } from './worker-jobs';

serveJobs(explainRunner);
