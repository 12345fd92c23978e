"""Extract the UCI 8x8 handwritten digits from scikit-learn's package data into .npy files.

Run once (needs scikit-learn and numpy; `pip install scikit-learn`):

    python3 data/digits/extract.py

It reads sklearn/datasets/data/digits.csv.gz (1797 rows of 64 pixel counts in 0..16 and a label;
the test set of Alpaydin & Kaynak's UCI "Optical Recognition of Handwritten Digits" data) and
writes, next to this script:

    train_images.npy    float32 [1437, 1, 8, 8]  pixels / 16, in [0, 1], NCHW
    train_labels.npy    int32   [1437]           the digit, 0..9
    heldout_images.npy  float32 [360, 1, 8, 8]
    heldout_labels.npy  int32   [360]

Row i of the csv goes to the held-out set when i % 5 == 0, to the training set otherwise; both
keep the csv's order. The script checks the row count, the pixel range and the class counts, and
prints the SHA-256 of every file it writes (recorded in README.md).
"""

import gzip
import hashlib
import os

import numpy as np
import sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")


def main() -> None:
    with gzip.open(SOURCE, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    assert table.shape == (1797, 65), table.shape
    pixels, labels = table[:, :64], table[:, 64].astype(np.int32)
    assert pixels.min() == 0 and pixels.max() == 16 and np.all(pixels == np.round(pixels))
    assert np.all(np.bincount(labels, minlength=10) >= 170)
    images = (pixels / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    held = np.arange(len(labels)) % 5 == 0
    outputs = {
        "train_images.npy": images[~held],
        "train_labels.npy": labels[~held],
        "heldout_images.npy": images[held],
        "heldout_labels.npy": labels[held],
    }
    for name, array in outputs.items():
        path = os.path.join(HERE, name)
        np.save(path, np.ascontiguousarray(array))
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        print(f"{name}  {array.dtype}  {list(array.shape)}  sha256 {digest}")
    print(f"source {SOURCE} (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
