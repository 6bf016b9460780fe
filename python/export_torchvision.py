#!/usr/bin/env python3
"""Export a torchvision image classifier to ONNX for Sparsity Lens.

Shipped with the Sparsity Lens extension/CLI and run with the user's own Python, which
needs torch and torchvision. Pretrained weights are downloaded by torchvision on the
user's machine (into its usual cache, $TORCH_HOME, default ~/.cache/torch).

    python3 export_torchvision.py --arch alexnet --weights DEFAULT --output /path/model.onnx
    python3 export_torchvision.py --arch vit_b_16 --weights none --seed 3 --output /path/vit.onnx
    python3 export_torchvision.py --check          # only report Python/torch/torchvision versions
    python3 export_torchvision.py --list           # the classification architectures of this torchvision

--arch: any image-classification builder this torchvision lists (torchvision.models.list_models
with module=torchvision.models on torchvision >= 0.14; on older versions the public builders of
torchvision.models itself, without its detection/segmentation/video/quantization/optical_flow
sub-packages). An unknown name is refused with the list.

--weights: DEFAULT (the architecture's best ImageNet weights), none (random weights,
nothing downloaded), or a weights enum member name such as IMAGENET1K_V1.
--seed: torch.manual_seed before the model is built (default 0), so random weights are a
function of (seed, torch build): two exports of the same architecture and seed write the same
bytes.

The model is exported in eval mode with opset 17 (--opset), input name `input`, output
name `output`, and a dynamic batch axis on both. The input size is the model's own
(`image_size` of ViT), else the crop size of its default weights' transforms (299 for
inception_v3), else 224, unless --input-size is given.

Attention: nn.MultiheadAttention in eval mode takes a fused fast path
(aten::_native_multi_head_attention) that torch.onnx cannot export (torch 1.13 at any opset:
"Exporting the operator 'aten::_native_multi_head_attention' to ONNX opset version 14 is not
supported"). The fast path is skipped when autograd is recording, so the export traces with
grad enabled (and, on torch >= 2.1, torch.backends.mha.set_fastpath_enabled(False)); the
traced graph is the same math, the unfused reference implementation.

Progress goes to stdout as one JSON object per line:
    {"event": "versions", "python": "3.11.2", "torch": "2.3.0", "torchvision": "0.18.0"}
    {"event": "archs", "archs": ["alexnet", ...]}                      (--list)
    {"event": "stage", "stage": "build" | "weights" | "export" | "check", "message": "..."}
    {"event": "done", "output": ..., "bytes": ..., "weights": ..., "seed": ..., "inputSize": ..., ...}
    {"event": "error", "code": "E_NO_TORCH" | ..., "message": "..."}
Human-readable messages from torch (weight download progress, warnings) go to stderr.

Exit status: 0 done, 2 bad arguments, 3 torch/torchvision missing, 4 unknown
architecture or weights, 5 weights could not be downloaded, 6 export failed.
"""
import argparse
import inspect
import json
import os
import platform
import sys
import time

EXIT_ARGS, EXIT_NO_TORCH, EXIT_ARCH, EXIT_WEIGHTS, EXIT_EXPORT = 2, 3, 4, 5, 6

# Input size for architectures that do not take 224x224, when no weights enum says so.
INPUT_SIZE = {"inception_v3": 299}

# torchvision.models sub-packages that are not image classifiers (old torchvision without list_models).
NOT_CLASSIFIERS = ("detection", "segmentation", "video", "quantization", "optical_flow")
# Public helpers of torchvision.models that are not builders.
NOT_BUILDERS = {"get_model", "get_model_builder", "get_model_weights", "get_weight", "list_models"}


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def fail(code, status, message, **extra):
    emit("error", code=code, message=message, **extra)
    return status


def weights_enum(tv_models, arch, builder):
    """The weights enum of the builder, or None (torchvision < 0.13: only pretrained=True)."""
    get_weights = getattr(tv_models, "get_model_weights", None)
    enum = None
    if get_weights is not None:
        try:
            enum = get_weights(arch)
        except Exception:  # noqa: BLE001 - older/odd builders: fall through
            enum = None
    if enum is None:
        # torchvision 0.13 has weight enums but no get_model_weights: find it by annotation.
        try:
            ann = inspect.signature(builder).parameters["weights"].annotation
            enum = getattr(ann, "__args__", [ann])[0]
            if not hasattr(enum, "DEFAULT"):
                enum = None
        except Exception:  # noqa: BLE001
            enum = None
    return enum


def resolve_weights(tv_models, arch, builder, requested):
    """Returns (weights argument for the builder, printable name, meta dict or None)."""
    if requested.lower() == "none":
        return None, "none", None
    enum = weights_enum(tv_models, arch, builder)
    if enum is None:
        # torchvision < 0.13: only pretrained=True exists.
        if requested.upper() != "DEFAULT":
            raise KeyError("this torchvision only offers its default pretrained weights")
        return "legacy-pretrained", "pretrained=True", None
    key = "DEFAULT" if requested.upper() == "DEFAULT" else requested
    try:
        member = enum[key] if key != "DEFAULT" else enum.DEFAULT
    except KeyError:
        raise KeyError("unknown weights %r for %s; available: %s"
                       % (requested, arch, ", ".join(m.name for m in enum)))
    return member, "%s.%s" % (type(member).__name__, member.name), dict(getattr(member, "meta", {}) or {})


def classification_archs(tv_models):
    """The image-classification builders this torchvision offers, sorted."""
    list_models = getattr(tv_models, "list_models", None)
    if list_models is not None:
        try:
            return sorted(list_models(module=tv_models))
        except TypeError:  # a list_models without the module filter
            pass
    names = []
    for name in dir(tv_models):
        obj = getattr(tv_models, name)
        mod = getattr(obj, "__module__", "") or ""
        if (name.startswith("_") or name in NOT_BUILDERS or not name.islower() or not inspect.isfunction(obj)
                or not mod.startswith("torchvision.models.")
                or mod.split(".")[2] in NOT_CLASSIFIERS):
            continue
        params = inspect.signature(obj).parameters
        if "weights" in params or "pretrained" in params:
            names.append(name)
    return sorted(names)


def default_input_size(tv_models, arch, model, builder):
    """The model's own input size: ViT's image_size, else its default weights' crop, else 224."""
    size = getattr(model, "image_size", None)
    if isinstance(size, int) and size > 0:
        return size
    try:
        enum = weights_enum(tv_models, arch, builder)
        crop = getattr(enum.DEFAULT.transforms(), "crop_size", None) if enum is not None else None
        if isinstance(crop, (list, tuple)) and crop:
            crop = crop[0]
        if isinstance(crop, int) and crop > 0:
            return crop
    except Exception:  # noqa: BLE001 - informational: fall back to the table
        pass
    return INPUT_SIZE.get(arch, 224)


def build_model(builder, weights):
    if weights == "legacy-pretrained":
        return builder(pretrained=True)
    if weights is None:
        try:
            return builder(weights=None)
        except TypeError:  # torchvision < 0.13
            return builder(pretrained=False)
    return builder(weights=weights)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export a torchvision classifier to ONNX for Sparsity Lens.")
    parser.add_argument("--arch", help="torchvision.models builder name, e.g. alexnet, vgg11, resnet50")
    parser.add_argument("--weights", default="DEFAULT", help="DEFAULT, none, or a weights name like IMAGENET1K_V1")
    parser.add_argument("--output", help="ONNX file to write")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--input-size", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building (random weights)")
    parser.add_argument("--check", action="store_true", help="only report versions")
    parser.add_argument("--list", action="store_true", help="only list the classification architectures")
    args = parser.parse_args(argv)

    py = platform.python_version()
    try:
        import torch  # noqa: F401
    except ImportError as e:
        return fail("E_NO_TORCH", EXIT_NO_TORCH, "PyTorch is not installed for this Python (%s): %s" % (sys.executable, e),
                    missing="torch", python=py, executable=sys.executable)
    try:
        import torchvision
        import torchvision.models as tv_models
    except ImportError as e:
        return fail("E_NO_TORCH", EXIT_NO_TORCH, "torchvision is not installed for this Python (%s): %s" % (sys.executable, e),
                    missing="torchvision", python=py, executable=sys.executable, torch=torch.__version__)
    emit("versions", python=py, executable=sys.executable, torch=torch.__version__, torchvision=torchvision.__version__)
    if args.check:
        return 0
    archs = classification_archs(tv_models)
    if args.list:
        emit("archs", archs=archs)
        return 0
    if not args.arch or not args.output:
        return fail("E_ARGS", EXIT_ARGS, "--arch and --output are required")
    if args.seed < 0 or args.seed > 2**63 - 1:
        return fail("E_ARGS", EXIT_ARGS, "--seed must be a whole number from 0 to 2**63-1")

    builder = getattr(tv_models, args.arch, None)
    if args.arch not in archs or builder is None or not callable(builder):
        # Detection, segmentation and video builders live in sub-packages and are not listed.
        return fail("E_ARCH", EXIT_ARCH, "torchvision %s has no image-classification model %r"
                    % (torchvision.__version__, args.arch), archs=archs)

    try:
        weights, weights_name, meta = resolve_weights(tv_models, args.arch, builder, args.weights)
    except KeyError as e:
        return fail("E_WEIGHTS", EXIT_ARCH, str(e.args[0] if e.args else e))

    t0 = time.time()
    emit("stage", stage="build", message="building torchvision.models.%s (weights=%s)" % (args.arch, weights_name))
    if weights is not None:
        emit("stage", stage="weights", message="loading pretrained weights %s (downloaded once into %s)"
             % (weights_name, os.path.join(torch.hub.get_dir(), "checkpoints")))
    # Random weights are a function of the seed: every initialiser of torchvision draws from
    # torch's global generator, seeded here, right before the model is built.
    torch.manual_seed(args.seed)
    try:
        model = build_model(builder, weights)
    except Exception as e:  # noqa: BLE001 - network, disk, corrupt checkpoint
        if weights is None:
            return fail("E_EXPORT", EXIT_EXPORT, "building %s failed: %s: %s" % (args.arch, type(e).__name__, e))
        return fail("E_WEIGHTS_DOWNLOAD", EXIT_WEIGHTS,
                    "could not load the pretrained weights %s: %s: %s" % (weights_name, type(e).__name__, e),
                    checkpoints=os.path.join(torch.hub.get_dir(), "checkpoints"))
    model.eval()

    size = args.input_size or default_input_size(tv_models, args.arch, model, builder)
    # The trace input only fixes shapes; its own generator keeps it (and the file) independent of
    # whatever the builder drew from the global one.
    dummy = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    kwargs = dict(
        export_params=True,
        opset_version=args.opset,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        # torch >= 2.9 defaults to the dynamo exporter (needs onnxscript); the TorchScript
        # exporter handles every torchvision classifier with dynamic_axes.
        kwargs["dynamo"] = False
    # The fused attention fast path cannot be exported (see the module docstring): switch it off.
    set_fastpath = getattr(getattr(torch.backends, "mha", None), "set_fastpath_enabled", None)
    if set_fastpath is not None:
        set_fastpath(False)
    emit("stage", stage="export", message="exporting to ONNX (opset %d, input 1x3x%dx%d, dynamic batch)" % (args.opset, size, size))
    try:
        # Grad enabled on purpose (not torch.no_grad()): nn.MultiheadAttention only leaves its
        # fused fast path while autograd records, and torch < 2.1 has no other switch.
        with torch.enable_grad():
            torch.onnx.export(model, (dummy,), args.output, **kwargs)
    except Exception as e:  # noqa: BLE001
        return fail("E_EXPORT", EXIT_EXPORT, "torch.onnx.export failed for %s: %s: %s" % (args.arch, type(e).__name__, e))

    checked = False
    try:
        import onnx  # optional
        emit("stage", stage="check", message="checking the ONNX file with onnx %s" % onnx.__version__)
        onnx.checker.check_model(args.output)
        checked = True
    except ImportError:
        pass
    except Exception as e:  # noqa: BLE001 - an older onnx may not know a new opset: warn only
        emit("warning", message="onnx.checker could not confirm the file: %s" % e)

    transforms = None
    if meta is not None and weights is not None and hasattr(weights, "transforms"):
        try:
            t = weights.transforms()
            transforms = {k: (list(v) if isinstance(v, (list, tuple)) else v)
                          for k, v in vars(t).items()
                          if k in ("resize_size", "crop_size", "mean", "std") and not k.startswith("_")}
        except Exception:  # noqa: BLE001 - informational only
            transforms = None
    emit("done",
         output=args.output,
         bytes=os.path.getsize(args.output),
         arch=args.arch,
         weights=weights_name,
         seed=args.seed,
         inputSize=size,
         opset=args.opset,
         params=sum(p.numel() for p in model.parameters()),
         torch=torch.__version__,
         torchvision=torchvision.__version__,
         onnxChecked=checked,
         weightsTransforms=transforms,
         seconds=round(time.time() - t0, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
