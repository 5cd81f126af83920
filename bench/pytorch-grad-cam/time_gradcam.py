"""Times pytorch-grad-cam's GradCAM on VGG16 and MobileNetV2 (torchvision, seeded random weights),
one 224x224 image at a time, with 1 and 2 torch threads. Prints one JSON object on stdout.

Usage: /usr/bin/python3 bench/pytorch-grad-cam/time_gradcam.py --pgc /path/to/pytorch-grad-cam-source
       [--images 32] [--threads 1,2] [--networks VGG16,MobileNetV2]
"""
import argparse
import json
import sys
import time
import types

import torch
import torchvision


def import_gradcam(path):
    # ttach (test-time augmentation) is used only by aug_smooth, which is not timed here.
    sys.modules.setdefault('ttach', types.SimpleNamespace(Compose=lambda t: t, HorizontalFlip=lambda: None, Multiply=lambda factors: None))
    sys.path.insert(0, path)
    from pytorch_grad_cam import GradCAM
    return GradCAM


def network(name):
    torch.manual_seed(0)
    if name == 'VGG16':
        model = torchvision.models.vgg16(weights=None).eval()
        return model, model.features[29]  # the ReLU after block5_conv3, as tfjs-gradcam's target
    if name == 'MobileNetV2':
        model = torchvision.models.mobilenet_v2(weights=None).eval()
        return model, model.features[-1]  # Conv_1 + BN + ReLU6 (1280 channels), tfjs-gradcam's Conv_1_relu
    raise SystemExit(f'unknown network {name}')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pgc', required=True, help="pytorch-grad-cam's source folder (holding pytorch_grad_cam/)")
    parser.add_argument('--images', type=int, default=32)
    parser.add_argument('--threads', default='1,2')
    parser.add_argument('--networks', default='VGG16,MobileNetV2')
    args = parser.parse_args()
    GradCAM = import_gradcam(args.pgc)
    generator = torch.Generator().manual_seed(1)
    images = [torch.rand(1, 3, 224, 224, generator=generator) for _ in range(args.images)]
    rows = []
    for name in args.networks.split(','):
        for threads in (int(t) for t in args.threads.split(',')):
            torch.set_num_threads(threads)
            # The whole run, as tfjs-gradcam's pool is timed: build the model, then every image
            # (the first one included); then the same images again, warmed up.
            start = time.perf_counter()
            model, layer = network(name)
            cam = GradCAM(model=model, target_layers=[layer])
            for x in images:
                cam(input_tensor=x, targets=None)
            whole = time.perf_counter() - start
            with torch.no_grad():
                start = time.perf_counter()
                for x in images:
                    model(x)
                forward = (time.perf_counter() - start) / len(images)
            start = time.perf_counter()
            for x in images:
                cam(input_tensor=x, targets=None)  # top class of each image, as tfjs-gradcam's default
            seconds = time.perf_counter() - start
            rows.append({'network': name, 'threads': threads, 'images': len(images), 'seconds': seconds, 'wholeSeconds': whole,
                         'msPerImage': 1000 * seconds / len(images), 'imagesPerSecond': len(images) / seconds,
                         'forwardMs': 1000 * forward})
            cam.activations_and_grads.release()
    print(json.dumps({'torch': torch.__version__, 'torchvision': torchvision.__version__, 'rows': rows}))


if __name__ == '__main__':
    main()
