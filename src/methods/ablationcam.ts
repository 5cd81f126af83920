import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from './method';
import { channelScoringMethod, chunkChannelNumbers } from './channel-chunks';

/** How far below the activations' minimum a channel is pushed when 0 would not remove it. */
const ABLATION_OFFSET = 1e7;

/**
 * Ablation-CAM (Desai & Ramaswamy 2020), as pytorch-grad-cam computes it: each channel of the
 * target layer is ablated in turn and the rest of the model (the head only) rescored;
 * `w_c = (score − score_without_c) / score`, the relative drop of the target score.
 *
 * The ablated channel is set to 0 when the image's activations have minimum 0 (the usual case
 * after a ReLU), otherwise to `min(A_n) − 1e7`, so that it falls below anything the layer
 * produces (pytorch-grad-cam's `AblationLayer`; it re-reads the minimum after each in-place
 * write, so its later copies in a batch get `min − 2e7`, `min − 3e7`, …: here every copy gets
 * `min − 1e7`, so results do not depend on the batch size). A zero target score gives
 * non-finite weights, as in pytorch-grad-cam.
 *
 * Costs N·C passes of the head, `inputs.batchSize` ablated copies at a time; `inputs.progress`
 * counts them. With `inputs.maxChannels`, only each image's channels of largest spatial variance
 * are ablated (as Faster-ScoreCAM chooses them); the others weigh 0. pytorch-grad-cam's
 * experimental `ratio_channels_to_ablate` (ablating only the channels an SVD heuristic ranks
 * highest) is left out.
 */
export const ablationCam: CamMethod = channelScoringMethod({
  name: 'ablationcam',
  scoreChunk: (inputs, image, chunk) => {
    const a = inputs.activations;
    const [, h, w, c] = a.shape;
    const own = tf.slice(a, [image, 0, 0, 0], [1, h, w, c]);
    const lowest = tf.min(own);
    const value = tf.where(tf.equal(lowest, 0), tf.zerosLike(lowest), tf.sub(lowest, ABLATION_OFFSET));
    // Copy i ablates the chunk's i-th channel: a one-hot channel mask per copy, [B,1,1,C].
    const ablated = tf.reshape(chunkChannelNumbers(chunk), [chunk.count, 1]);
    const channel = tf.reshape(tf.range(0, c, 1, 'int32'), [1, c]);
    const mask = tf.reshape(tf.cast(tf.equal(ablated, channel), 'float32'), [chunk.count, 1, 1, c]);
    // Exact for finite activations: A·1 + v·0 = A and A·0 + v·1 = v.
    const copies = tf.add(tf.mul(own, tf.sub(1, mask)), tf.mul(value, mask));
    return inputs.scoreActivations(image, copies as tf.Tensor4D);
  },
  weights: (inputs, ablatedScores) => {
    const score = tf.reshape(inputs.scores, [-1, 1]);
    return tf.div(tf.sub(score, ablatedScores), score) as tf.Tensor2D;
  },
});
