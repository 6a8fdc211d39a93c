#!/usr/bin/env python3
"""Writes the ONNX test fixtures of tests/KernelGen.Tests/Onnx/Fixtures with Debian's python3-onnx and numpy.

The graphs follow NVIDIA's sparse-conv export schema (Lidar_AI_Solution CUDA-CenterPoint/qat/onnx_export/exptool.py):
SparseConvolution nodes with fp16 weight initializers [Cout, k0, k1, k2, Cin], BatchNorm already folded, ReLU fused
where no residual follows, Add + Relu for the residual, and the dense BEV tail (ScatterDense, Reshape). As
CUDA-CenterPoint does, the spatial axes are in (x, y, z) order, so the importer must reverse them.

The network is the head of CenterPoint's backbone (tiny-centerpoint.json beside the fixtures): conv_input, the first
residual block, the first down conv. Beside the models, the expected weights in KernelGen's (z, y, x) layout, as .npy.

    apt-get install python3-onnx python3-numpy
    python3 tools/make_onnx_fixtures.py
"""
import os

import numpy as np
import onnx
from onnx import helper

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "KernelGen.Tests", "Onnx", "Fixtures")
GRID_ZYX = [41, 1440, 1440]  # the description's nusc grid (D, H, W)

# (description node, ONNX name, cin, cout, subm, stride, padding, ReLU fused, reads)
CONVS = [
    ("conv_input", "conv0", 5, 16, True, 1, 1, True, "0"),
    ("conv1.0.conv1", "conv1", 16, 16, True, 1, 1, True, "1"),
    ("conv1.0.conv2", "conv2", 16, 16, True, 1, 1, False, "2"),
    ("conv2.down", "conv3", 16, 32, False, 2, 1, True, "5"),
]
PRECISION = {"conv0": "fp16", "conv1": "fp16", "conv2": "fp16", "conv3": "int8"}
AMAX = {"conv0": 54.0, "conv1": 3.5, "conv2": 2.25, "conv3": 4.75}


def graph(ptq):
    rng = np.random.default_rng(35)
    nodes, initializers, expected = [], [], {}
    outputs = {"conv0": "1", "conv1": "2", "conv2": "3", "conv3": "6"}
    for node, name, cin, cout, subm, stride, padding, relu, reads in CONVS:
        # KernelGen's layout [Cout, kz, ky, kx, Cin], rounded to fp16 as the export stores it; written as [Cout, kx, ky, kz, Cin].
        zyx = rng.normal(0, 0.2, size=(cout, 3, 3, 3, cin)).astype(np.float16)
        bias = rng.normal(0, 0.1, size=(cout,)).astype(np.float16)
        xyz = np.ascontiguousarray(zyx.transpose(0, 3, 2, 1, 4))
        expected[node] = (zyx.astype(np.float32), bias.astype(np.float32))
        for tensor, values in ((f"spconv{name[4:]}.weight", xyz), (f"spconv{name[4:]}.bias", bias)):
            initializers.append(helper.make_tensor(tensor, onnx.TensorProto.FLOAT16, list(values.shape), values.tobytes(), raw=True))
        shape_in = [1440, 1440, 41] if reads in ("0", "1", "2", "5") else None
        shape_out = shape_in if subm else [720, 720, 21]
        attributes = dict(
            ndim=3, input_spatial_shape=shape_in, output_spatial_shape=shape_out, in_channels=cin, out_channels=cout,
            kernel_size=[3, 3, 3], output_bound=200000, stride=[stride] * 3, dilation=[1, 1, 1], padding=[padding] * 3,
            transposed=0, inverse=0, output_padding=[0, 0, 0], groups=1, subm=int(subm),
            rulebook="subm0" if subm else "spconv2", activation="ReLU" if relu else "None",
            input_shape=[1000, cin], output_shape=[1000, cout])
        if ptq:
            per_channel = np.abs(zyx.astype(np.float32)).reshape(cout, -1).max(axis=1)
            attributes.update(input_dynamic_range=AMAX[name], weight_dynamic_ranges=per_channel.tolist(),
                              precision=PRECISION[name], output_precision="int8")
        nodes.append(helper.make_node("SparseConvolution", [reads, f"spconv{name[4:]}.weight", f"spconv{name[4:]}.bias"],
                                      [outputs[name]], name, **attributes))
        if name == "conv2":
            add = dict(input0_dynamic_range=2.5, input1_dynamic_range=2.5, precision="fp16", output_precision="int8") if ptq else {}
            nodes.append(helper.make_node("Add", ["3", "1"], ["4"], "add0", **add))
            nodes.append(helper.make_node("Relu", ["4"], ["5"], "relu1"))
    nodes.append(helper.make_node("ScatterDense", ["6"], ["7"], "scatter4", input_spatial_shape=[720, 720, 21], format="zyx",
                                  output_shape=[1, 32, 21, 720, 720]))
    nodes.append(helper.make_node("Reshape", ["7"], ["8"], "reshape5", dims=[1, 672, 720, 720]))
    inputs = [helper.make_value_info("0", helper.make_tensor_type_proto(onnx.TensorProto.FLOAT16, [1000, 5]))]
    outputs_info = [helper.make_value_info("8", helper.make_tensor_type_proto(onnx.TensorProto.FLOAT16, [1, 672, 720, 720]))]
    model = helper.make_model(helper.make_graph(nodes, "scn", inputs, outputs_info, initializers),
                              opset_imports=[helper.make_operatorsetid("ai.onnx", 11)], producer_name="pytorch", producer_version="1.9")
    return model, expected


def main():
    os.makedirs(OUT, exist_ok=True)
    for ptq, file in ((False, "tiny.scn.onnx"), (True, "tiny.scn.PTQ.onnx")):
        model, expected = graph(ptq)
        onnx.save_model(model, os.path.join(OUT, file))
    for node, (weight, bias) in expected.items():
        np.save(os.path.join(OUT, f"expected.{node}.weight.npy"), weight)
        np.save(os.path.join(OUT, f"expected.{node}.bias.npy"), bias)


if __name__ == "__main__":
    main()
