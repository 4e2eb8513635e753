#!/usr/bin/env python3
"""Times the reference coco-caption scorers (salaniz/pycocoevalcap: Bleu(4), Rouge(), Cider()) on tokenized
captions, so that `bench/index.ts --reference-scorers DIR` can print our time next to the reference's measured
in the same run, on the same machine under the same load. Not needed by the package or its tests.

Input: JSON {"refs": {id: [tokenized, ...]}, "cands": {id: tokenized}}. Output (stdout): JSON
{"bleu": [seconds per run], "rouge": [...], "cider": [...], "corpus": {...}}.
"""
import argparse
import json
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pycocoevalcap', required=True, help='folder holding the pycocoevalcap package')
    parser.add_argument('--input', required=True)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, args.pycocoevalcap)
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    data = json.load(open(args.input))
    gts = {k: v for k, v in data['refs'].items()}
    res = {k: [data['cands'][k]] for k in gts}
    out = {'bleu': [], 'rouge': [], 'cider': [], 'corpus': {}}
    for _ in range(args.runs):
        for name, scorer in (('bleu', Bleu(4)), ('rouge', Rouge()), ('cider', Cider())):
            start = time.perf_counter()
            score, _scores = scorer.compute_score(gts, res) if name != 'bleu' else scorer.compute_score(gts, res, verbose=0)
            out[name].append(time.perf_counter() - start)
            out['corpus'][name] = [float(s) for s in score] if name == 'bleu' else float(score)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
