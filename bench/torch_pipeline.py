#!/usr/bin/python3
"""PyTorch reference pipeline for `npm run bench`: the study's own tooling, same analysis.

The same steps Sparsity Lens runs for one trained pass (METHOD.md §1-6), written the way the
study's code does it: torchvision ImageFolder-style scan, PIL decoding, torchvision transforms
(Resize((224, 224)) - the 224x224 stretch -, ToTensor, Normalize with the ImageNet mean/std),
a DataLoader, forward hooks on every ReLU module (channel units: spatial mean of conv ReLUs),
per-category sums in float64, then z-score -> min-max -> Vinje-Gallant PSI per category and
layer, and Kendall's tau-b of layer index vs PSI (scipy).

Models are torchvision's AlexNet / VGG11 with their default random initialisation; speed
does not depend on the weight values, and the ONNX models of the benchmark have the same
shapes (test/helpers/onnxBuilder.ts ALEXNET_SPEC / VGG11_SPEC).

Run with Debian's interpreter (python3-torch, python3-torchvision, python3-numpy, python3-scipy):

    /usr/bin/python3 bench/torch_pipeline.py --dataset DIR --arch alexnet [--batch 8]
        [--workers 0] [--threads 2] [--images-per-category K] [--forward-only-batches N]

Prints one line `BENCH_RESULT {json}` on stdout.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

IMAGE_EXT = {'.jpg', '.jpeg', '.png', '.bmp', '.gif', '.tif', '.tiff', '.webp'}
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def scan(root, per_category):
    """Sorted category folders, files sorted by name, the first K of each (METHOD §1)."""
    cats = sorted(d for d in os.listdir(root) if not d.startswith('.') and os.path.isdir(os.path.join(root, d)))
    items = []
    for ci, c in enumerate(cats):
        files = sorted(f for f in os.listdir(os.path.join(root, c))
                       if not f.startswith('.') and os.path.splitext(f)[1].lower() in IMAGE_EXT)
        if per_category:
            files = files[:per_category]
        items += [(os.path.join(root, c, f), ci) for f in files]
    return cats, items


class Folder(Dataset):
    def __init__(self, items, size):
        self.items = items
        self.transform = transforms.Compose([
            transforms.Resize((size, size)),  # stretch, as the study
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        with Image.open(path) as im:
            x = self.transform(im.convert('RGB'))
        return x, label


def build_model(arch):
    torch.manual_seed(0)
    ctor = {'alexnet': torchvision.models.alexnet, 'vgg11': torchvision.models.vgg11}[arch]
    return ctor(weights=None).eval()


def psi_layer(r):
    """METHOD §4-5 on a [categories x units] matrix."""
    mean = r.mean(axis=0)
    sd = r.std(axis=0)  # ddof 0
    z = np.where(sd > 0, (r - mean) / np.where(sd > 0, sd, 1), 0.0)
    lo = z.min(axis=1, keepdims=True)
    hi = z.max(axis=1, keepdims=True)
    rng = hi - lo
    z = np.where(rng > 0, (z - lo) / np.where(rng > 0, rng, 1), 0.0)
    n = z.shape[1]
    s = z.sum(axis=1)
    s2 = (z * z).sum(axis=1)
    a = np.where(s2 > 0, (s / n) ** 2 / np.where(s2 > 0, s2 / n, 1), 1.0)
    return (1 - a) / (1 - 1 / n)


def cpu_seconds():
    """CPU time of this process (all threads) plus finished and live DataLoader workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    try:
        for child in _children():
            with open(f'/proc/{child}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        pass
    return total


def _children():
    try:
        with open(f'/proc/self/task/{os.getpid()}/children') as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', required=True)
    ap.add_argument('--arch', default='alexnet', choices=['alexnet', 'vgg11'])
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--workers', type=int, default=0, help='DataLoader worker processes (0: decode in the main process)')
    ap.add_argument('--threads', type=int, default=os.cpu_count(), help='torch intra-op threads')
    ap.add_argument('--images-per-category', type=int, default=0)
    ap.add_argument('--forward-only-batches', type=int, default=0,
                    help='also time N logits-only forward passes on a pre-decoded random batch')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    cats, items = scan(args.dataset, args.images_per_category)
    model = build_model(args.arch)
    result = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'arch': args.arch,
              'batch': args.batch, 'workers': args.workers, 'threads': torch.get_num_threads()}

    if args.forward_only_batches:
        x = torch.randn(args.batch, 3, 224, 224)
        with torch.inference_mode():
            model(x)
            t0 = time.perf_counter()
            for _ in range(args.forward_only_batches):
                model(x)
            result['forwardImagesPerSecond'] = args.forward_only_batches * args.batch / (time.perf_counter() - t0)

    # Forward hooks on every ReLU (the study's layers: conv1..convK, fc1, fc2).
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    n_cat = len(cats)
    sums = [None] * len(relus)
    current = {'labels': None}

    def hook_for(k):
        def hook(_module, _inp, out):
            v = out.mean(dim=(2, 3)) if out.dim() == 4 else out
            v = v.to(torch.float64)
            if sums[k] is None:
                sums[k] = torch.zeros(n_cat, v.shape[1], dtype=torch.float64)
            sums[k].index_add_(0, current['labels'], v)
        return hook

    handles = [m.register_forward_hook(hook_for(k)) for k, m in enumerate(relus)]
    counts = torch.zeros(n_cat, dtype=torch.float64)
    loader = DataLoader(Folder(items, 224), batch_size=args.batch, shuffle=False, num_workers=args.workers)
    t_loop = time.perf_counter()
    t_first = None
    cpu_first = 0.0
    n_first = 0
    done = 0
    with torch.inference_mode():
        for x, y in loader:
            current['labels'] = y
            model(x)
            counts.index_add_(0, y, torch.ones(len(y), dtype=torch.float64))
            done += len(y)
            if t_first is None:
                t_first = time.perf_counter()
                cpu_first = cpu_seconds()
                n_first = done
    t_end = time.perf_counter()
    cpu_end = cpu_seconds()
    for h in handles:
        h.remove()

    # Statistics stage.
    t_stats = time.perf_counter()
    from scipy import stats as sps
    psis = []
    for k in range(len(relus)):
        r = (sums[k] / counts[:, None]).numpy()
        psis.append(psi_layer(r))
    xs = np.concatenate([np.full(n_cat, k + 1) for k in range(len(psis))])
    tau, p = sps.kendalltau(xs, np.concatenate(psis))
    stats_s = time.perf_counter() - t_stats

    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result.update({
        'images': done,
        'categories': n_cat,
        'layers': len(relus),
        'imagesPerSecond': (done - n_first) / (t_end - t_first) if t_first and t_end > t_first else 0.0,
        'loopSeconds': t_end - t_loop,
        'cpuMsPerImage': 1000 * (cpu_end - cpu_first) / (done - n_first) if done > n_first else 0.0,
        'wallSeconds': time.perf_counter() - t_start,
        'statsSeconds': stats_s,
        'medianPsi': [float(np.median(v)) for v in psis],
        'depthTrend': {'tau': float(tau), 'p': float(p)},
        'maxRssMB': ru_self,
        'workerMaxRssMB': ru_children,
    })
    sys.stdout.write('BENCH_RESULT ' + json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
