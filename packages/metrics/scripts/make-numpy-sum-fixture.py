#!/usr/bin/env python3
"""Makes fixtures/numpy-sums.json: float64 values and what numpy.add.reduce and numpy.mean give for prefixes of
them, at lengths on both sides of the boundaries of NumPy's pairwise summation (8 accumulators, blocks of 128,
halving above). `src/internal/python-compat.test.ts` checks `numpySum` / `numpyMean` against these bit for bit:
the means of ROUGE-L, CIDEr and the CIDEr-D reward depend on that order of summation.

Usage (python3 + numpy; the fixture was made with numpy 2.4.6, the oracle's version):
  python3 scripts/make-numpy-sum-fixture.py --out fixtures/numpy-sums.json
"""
import argparse
import json
import random

import numpy as np

LENGTHS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 135, 136, 255, 256, 257, 1000, 1024, 1025, 2047, 2500]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    rng = random.Random(20261123)
    # Magnitudes spread over 12 decades, so that the order of the additions shows in the last bits.
    values = [rng.uniform(0.5, 1.0) * 10.0 ** rng.randint(-6, 6) for _ in range(max(LENGTHS))]
    array = np.array(values, dtype=np.float64)
    sums = {str(n): float(np.add.reduce(array[:n])) for n in LENGTHS}
    means = {str(n): float(np.mean(array[:n])) for n in LENGTHS if n > 0}
    with open(args.out, 'w') as f:
        json.dump({'numpy': np.__version__, 'values': values, 'sums': sums, 'means': means}, f)
        f.write('\n')


if __name__ == '__main__':
    main()
