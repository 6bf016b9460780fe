#!/usr/bin/env python3
"""Export a torchvision image classifier to ONNX for Sparsity Lens.

Shipped with the Sparsity Lens extension/CLI and run with the user's own Python, which
needs torch and torchvision. Pretrained weights are downloaded by torchvision on the
user's machine (into its usual cache, $TORCH_HOME, default ~/.cache/torch).

    python3 export_torchvision.py --arch alexnet --weights DEFAULT --output /path/model.onnx
    python3 export_torchvision.py --check          # only report Python/torch/torchvision versions

--weights: DEFAULT (the architecture's best ImageNet weights), none (random weights,
nothing downloaded), or a weights enum member name such as IMAGENET1K_V1.

The model is exported in eval mode with opset 17 (--opset), input name `input`, output
name `output`, and a dynamic batch axis on both. Input size is 224x224 (299 for
inception_v3) unless --input-size is given.

Progress goes to stdout as one JSON object per line:
    {"event": "versions", "python": "3.11.2", "torch": "2.3.0", "torchvision": "0.18.0"}
    {"event": "stage", "stage": "build" | "weights" | "export" | "check", "message": "..."}
    {"event": "done", "output": ..., "bytes": ..., "weights": ..., "inputSize": ..., ...}
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

# Input size for architectures that do not take 224x224.
INPUT_SIZE = {"inception_v3": 299}


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def fail(code, status, message, **extra):
    emit("error", code=code, message=message, **extra)
    return status


def resolve_weights(tv_models, arch, builder, requested):
    """Returns (weights argument for the builder, printable name, meta dict or None)."""
    if requested.lower() == "none":
        return None, "none", None
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
    parser.add_argument("--check", action="store_true", help="only report versions")
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
    if not args.arch or not args.output:
        return fail("E_ARGS", EXIT_ARGS, "--arch and --output are required")

    builder = getattr(tv_models, args.arch, None)
    if builder is None or not callable(builder) or args.arch.startswith("_"):
        return fail("E_ARCH", EXIT_ARCH, "torchvision %s has no model %r" % (torchvision.__version__, args.arch))

    try:
        weights, weights_name, meta = resolve_weights(tv_models, args.arch, builder, args.weights)
    except KeyError as e:
        return fail("E_WEIGHTS", EXIT_ARCH, str(e.args[0] if e.args else e))

    t0 = time.time()
    emit("stage", stage="build", message="building torchvision.models.%s (weights=%s)" % (args.arch, weights_name))
    if weights is not None:
        emit("stage", stage="weights", message="loading pretrained weights %s (downloaded once into %s)"
             % (weights_name, os.path.join(torch.hub.get_dir(), "checkpoints")))
    try:
        model = build_model(builder, weights)
    except Exception as e:  # noqa: BLE001 - network, disk, corrupt checkpoint
        if weights is None:
            return fail("E_EXPORT", EXIT_EXPORT, "building %s failed: %s: %s" % (args.arch, type(e).__name__, e))
        return fail("E_WEIGHTS_DOWNLOAD", EXIT_WEIGHTS,
                    "could not load the pretrained weights %s: %s: %s" % (weights_name, type(e).__name__, e),
                    checkpoints=os.path.join(torch.hub.get_dir(), "checkpoints"))
    model.eval()

    size = args.input_size or INPUT_SIZE.get(args.arch, 224)
    dummy = torch.randn(1, 3, size, size)
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
    emit("stage", stage="export", message="exporting to ONNX (opset %d, input 1x3x%dx%d, dynamic batch)" % (args.opset, size, size))
    try:
        with torch.no_grad():
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
