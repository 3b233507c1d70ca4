"""The from-scratch engine (NumPy + standard library only). Public layout NCHW float32."""

from ocrpad.nn import arena, parallel
from ocrpad.nn.batchnorm import BatchNorm2d
from ocrpad.nn.conv import Conv2d
from ocrpad.nn.layers import Dense, Dropout, Flatten, ReLU
from ocrpad.nn.losses import cross_entropy
from ocrpad.nn.module import Layer
from ocrpad.nn.optim import SGD, Adam, constant_lr, cosine_lr
from ocrpad.nn.pool import MaxPool2d
from ocrpad.nn.sequential import Sequential, StateDictError
from ocrpad.nn.serialization import (
    ModelFileError,
    ModelFileMissingError,
    load_arrays,
    save_arrays,
)

__all__ = [
    "SGD",
    "Adam",
    "BatchNorm2d",
    "Conv2d",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2d",
    "ModelFileError",
    "ModelFileMissingError",
    "ReLU",
    "Sequential",
    "StateDictError",
    "arena",
    "constant_lr",
    "cosine_lr",
    "cross_entropy",
    "load_arrays",
    "parallel",
    "save_arrays",
]
