import type { JobRunner } from '../node/pool/protocol';
import { startBackend } from '../node/pool/worker-jobs';
import type { BackendName, ExplainArgs } from './args';
import { type ImageResult, explainItem, makeSetup } from './explain';
import type { InputItem } from './inputs';

/** What each `--jobs` worker sets up with: the checked arguments and the main thread's backend. @internal */
export interface CliWorkerInit {
  readonly args: ExplainArgs;
  readonly backend: BackendName;
  /** About how many images this worker explains (it picks the explainer's kernel caching). */
  readonly share: number;
}

/** One image of the command: its item and the stem of its output files. @internal */
export interface CliJob {
  readonly item: InputItem;
  readonly stem: string;
}

/** A `--jobs` worker: the main thread's setup, made again here, then one image per job. @internal */
export async function cliRunner(init: CliWorkerInit): Promise<JobRunner<CliJob, ImageResult>> {
  await startBackend(init.backend);
  const setup = await makeSetup(init.args, init.share);
  return {
    run: (job) => explainItem(job.item, job.stem, setup, init.args),
    close() {
      setup.explainer.dispose();
      setup.model.dispose();
    },
  };
}
