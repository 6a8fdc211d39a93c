#!/usr/bin/env python3
"""Converts a PyTorch checkpoint (.pth) of a sparse backbone to the safetensors file `kernelgen run --weights` reads.

The network description (built-in `centerpoint` or `second`, or a description .json) names every tensor a node needs:
its conv weight, optional bias, and the BatchNorm whose weight, bias, running_mean and running_var KernelGen folds in.
Those names are the checkpoint's own (CenterPoint/det3d: `backbone.conv_input.0.weight`; OpenPCDet:
`backbone_3d.conv_input.0.weight`), so the conversion selects them, unwraps the checkpoint (`state_dict`,
`model_state` or `model`; a DataParallel `module.` prefix), writes float32, and refuses a missing tensor by name.
Conv weights keep spconv 2's layout [Cout, kD, kH, kW, Cin] (KernelGen's); `--spconv 1` converts spconv 1.x's
[kD, kH, kW, Cin, Cout]. Only `torch` is needed (the safetensors format is written here: an 8-byte little-endian
header length, a JSON header of dtype, shape and byte range per tensor, then the data).

Usage: pth_to_safetensors.py CHECKPOINT.pth --out WEIGHTS.safetensors [--model centerpoint|second|M.json] [--spconv 1|2]
Exit 2 with one line on stderr for bad input.
"""
import argparse
import json
import os
import struct
import sys

DESCRIPTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "KernelGen.Models", "Descriptions")
BATCHNORM_PARTS = ("weight", "bias", "running_mean", "running_var")


class ConversionError(Exception):
    pass


def description_path(model):
    if model.endswith(".json"):
        return model
    path = os.path.join(DESCRIPTIONS, model + ".json")
    if not os.path.exists(path):
        builtin = sorted(f[:-5] for f in os.listdir(DESCRIPTIONS) if f.endswith(".json"))
        raise ConversionError(f"--model: '{model}' is neither a built-in model ({', '.join(builtin)}) nor a .json description")
    return path


def needed_tensors(description):
    """(name, is_conv_weight) for every tensor the description's nodes name, in node order."""
    needed = []
    for node in description["nodes"]:
        weights = node.get("weights") or {}
        if "weight" in weights:
            needed.append((weights["weight"], True))
        if weights.get("bias"):
            needed.append((weights["bias"], False))
        if weights.get("batchNorm"):
            needed.extend((f"{weights['batchNorm']}.{part}", False) for part in BATCHNORM_PARTS)
    return needed


def state_dict_of(checkpoint, torch):
    for key in ("state_dict", "model_state", "model"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not isinstance(checkpoint, dict) or not any(torch.is_tensor(v) for v in checkpoint.values()):
        raise ConversionError("the checkpoint holds no state dict (looked for 'state_dict', 'model_state', 'model' or a dict of tensors)")
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in checkpoint.items() if torch.is_tensor(v)}


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, tensor in tensors:
        data = tensor.contiguous().numpy().astype("<f4", copy=False).tobytes() if hasattr(tensor, "numpy") else tensor
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def convert(checkpoint_path, out_path, model, spconv):
    import torch  # imported here so --help and argument errors work without it
    with open(description_path(model), encoding="utf-8") as f:
        description = json.load(f)
    out_folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(out_folder):
        raise ConversionError(f"--out: folder {out_folder} does not exist")
    if not os.path.isfile(checkpoint_path):
        raise ConversionError(f"cannot read checkpoint '{checkpoint_path}': no such file")
    try:
        checkpoint = torch.load(checkpoint_path, map_location="cpu")
    except Exception as e:  # a pickle error, a truncated file: say which file and why
        raise ConversionError(f"cannot read checkpoint '{checkpoint_path}': {type(e).__name__}: {e}") from e
    state = state_dict_of(checkpoint, torch)
    tensors = []
    for name, is_conv_weight in needed_tensors(description):
        if name not in state:
            near = [k for k in state if k.endswith(name.split(".", 1)[-1])][:3]
            raise ConversionError(f"{description['name']}: tensor '{name}' is not in the checkpoint" + (f" (similar: {', '.join(near)})" if near else ""))
        tensor = state[name].detach().to(torch.float32)
        if is_conv_weight:
            if tensor.dim() != 5:
                raise ConversionError(f"tensor '{name}' has shape {tuple(tensor.shape)}; a sparse conv weight has 5 dimensions")
            if spconv == 1:
                tensor = tensor.permute(4, 0, 1, 2, 3)  # [kD, kH, kW, Cin, Cout] -> [Cout, kD, kH, kW, Cin]
        if not torch.isfinite(tensor).all():
            raise ConversionError(f"tensor '{name}' has a non-finite value")
        tensors.append((name, tensor))
    write_safetensors(out_path, tensors)
    return len(tensors)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="centerpoint")
    parser.add_argument("--spconv", type=int, choices=[1, 2], default=2, help="weight layout of the spconv version that saved it")
    args = parser.parse_args(argv)
    try:
        count = convert(args.checkpoint, args.out, args.model, args.spconv)
    except ConversionError as e:
        print(f"pth_to_safetensors: error: {e}", file=sys.stderr)
        return 2
    print(f"{count} tensors written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
