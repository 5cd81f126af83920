import { COLORMAPS } from '../core/colormap';
import { CAM_METHODS } from '../methods/method';
import { DEFAULT_MAX_PIXELS } from '../node/image';
import { DEFAULT_OUT } from './args';

/** The program's name, as users type it. */
export const PROGRAM = 'tfjs-gradcam';

/** One line for usage errors, before the pointer to --help. */
export const USAGE = `Usage: ${PROGRAM} explain [options] <image|folder>...`;

/** Wraps a comma-separated list into lines of at most `width` characters, indented. */
function wrapList(items: readonly string[], indent: number, width = 92): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (indent + next.length > width && line !== '') {
      lines.push(`${line},`);
      line = item;
    } else {
      line = next;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The text of `--help`, at most 80 columns wide. */
export function helpText(): string {
  const pad = 24;
  const list = (names: readonly string[]): string => wrapList(names.map((n, i) => (i === 0 ? `${n} (default)` : n)), pad, 80);
  return `${USAGE}

Explain what a TensorFlow.js image classifier looked at, with Grad-CAM and
related methods. For each image, write a heatmap and an overlay PNG, and print
the top predictions.

Images are PNG, JPEG or WebP files; a folder stands for the images directly in
it. Without --model, the built-in demo model is used: 64x64 scenes showing one
shape (circle, square, triangle, cross, star).

Model:
  -m, --model PATH      a TensorFlow.js LayersModel or GraphModel: its
                        model.json, or the folder that holds it (default:
                        the demo model); a GraphModel needs
                        @tensorflow/tfjs-converter installed
  -l, --layer NAME      target layer, or graph node (default: the last layer
                        with a spatial feature map); OUTER/INNER inside a
                        nested model; repeat for several layers
      --labels FILE     class names, one a line, in class order
      --scale RANGE     pixel scale the model expects: 0-1 (default), -1-1,
                        or none (0-255)
      --mean R,G,B      per-channel mean subtracted after scaling,
                        e.g. 0.485,0.456,0.406
      --std R,G,B       per-channel divisor applied after the mean,
                        e.g. 0.229,0.224,0.225
      --preprocess MODE Keras's preprocess_input instead of the three above:
                        caffe (BGR, mean subtracted: VGG16, ResNet50), tf
                        (-1..1: MobileNet(V2), Inception, Xception), torch
                        (DenseNet), none (0-255: EfficientNet, ConvNeXt)
      --max-pixels N    largest image accepted, width x height, checked
                        before decoding (default: ${DEFAULT_MAX_PIXELS})

Explanation:
  -c, --class N         explain class N (an index, or a name from the labels)
                        instead of each image's top class
  -k, --top-k K         explain each image's K top classes
      --method NAME     ${list(CAM_METHODS)}
      --max-channels N  scorecam/ablationcam: score only each image's N channels
                        of largest variance (Faster-ScoreCAM)
      --output NAME     the model output to explain, for a model with several
      --colormap NAME   ${list(COLORMAPS)}
  -a, --alpha A         opacity of the heatmap in the overlay, 0 to 1
                        (default 0.4)

Output:
  -o, --out DIR         output folder, created if needed (default: ${DEFAULT_OUT})
      --json            print one JSON object per image on stdout
  -q, --quiet           no progress bar and no summary
      --metrics         add each map's faithfulness metrics (average drop and
                        increase, ROAD combined, deletion, insertion; see
                        docs/metrics.md) to its line and their means to the
                        summary (seconds per image: ROAD imputes 18 times)

Other:
      --backend NAME    wasm (default) or cpu
  -j, --jobs N          explain N images at a time on worker threads, each with
                        its own copy of the model (default: the number of
                        cores, at most 4); 1: one image at a time in-process
  -h, --help            show this help and exit
  -V, --version         print the version and exit

Files written to DIR, named after each image:
  NAME.overlay.png      the heatmap blended over the image, at the image's size
  NAME.heatmap.png      the heatmap in colour (--colormap gray: its values)
  With --top-k, one pair per class: NAME.RANK-CLASS.overlay.png and
  NAME.RANK-CLASS.heatmap.png.

Exit status:
  0  every image was explained
  1  something could not be read: an image (the others are still explained),
     the model, or the labels file
  2  the command line is wrong: an unknown option, a bad value, or a layer or
     class the model does not have

Examples:
  ${PROGRAM} explain photo.jpg
  ${PROGRAM} explain -m model/model.json --labels labels.txt -k 3 images/
  ${PROGRAM} explain --method gradcam++ --colormap turbo -o maps scans/
  ${PROGRAM} explain --json images/ | jq -c '{file, top: .predictions[0]}'

The JSON format and more examples: docs/cli.md in the tfjs-gradcam repository.
`;
}
