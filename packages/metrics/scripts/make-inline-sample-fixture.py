#!/usr/bin/env python3
"""Makes fixtures/inline-sample.json: a handful of hand-written, already tokenized captions scored by the
real coco-caption scorers (salaniz/pycocoevalcap, the Python 3 port the oracle used): BLEU-1..4, ROUGE-L and
CIDEr, corpus and per image. The browser-like (edge-runtime) tests score the same captions from this JSON,
with no file system access.

Usage (python3 + numpy; a checkout of github.com/salaniz/pycocoevalcap @ ad63453, laid out as the installed
package, i.e. a folder holding pycocoevalcap/{bleu,rouge,cider}):
  python3 scripts/make-inline-sample-fixture.py --pycocoevalcap /path/to/site --out fixtures/inline-sample.json
"""
import argparse
import json
import sys

REFS = {
    '1': ['a brown dog runs across a grassy field', 'a dog running on the grass', 'the dog is playing outside in a park'],
    '2': ['two cats sleep on a red blanket', 'a pair of cats sleeping on a bed', 'two kittens curled up together'],
    '3': ['a man rides a bicycle down a city street', 'a cyclist on a busy road', 'a person riding a bike past cars'],
    '4': ['a plate of pasta with tomato sauce', 'spaghetti on a white plate', 'a bowl of noodles with red sauce and cheese'],
    '5': ['a red bus parked at a bus stop', 'a double decker bus on the street', 'people waiting to board a red bus'],
    '6': ['a child flying a kite on the beach', 'a kid with a kite near the ocean', 'a little girl plays with a kite'],
}
CANDS = {
    '1': 'a dog runs on the grass',
    '2': 'two cats sleeping on a bed',
    '3': 'a man riding a bike on the street',
    '4': '',
    '5': 'a bus a bus a bus a bus',
    '6': 'a child flying a kite on the beach',
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pycocoevalcap', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.pycocoevalcap)
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    gts = {k: v for k, v in REFS.items()}
    res = {k: [v] for k, v in CANDS.items()}
    corpus, per_image = {}, {k: {} for k in CANDS}
    bleu, bleus = Bleu(4).compute_score(gts, res)
    for n in range(4):
        corpus['Bleu_%d' % (n + 1)] = bleu[n]
        for k, s in zip(gts.keys(), bleus[n]):
            per_image[k]['Bleu_%d' % (n + 1)] = s
    for scorer, key in ((Rouge(), 'ROUGE_L'), (Cider(), 'CIDEr')):
        score, scores = scorer.compute_score(gts, res)
        corpus[key] = float(score)
        for k, s in zip(gts.keys(), scores):
            per_image[k][key] = float(s)
    json.dump({
        'description': 'hand-written tokenized captions scored by salaniz/pycocoevalcap@ad63453 (Bleu(4), Rouge(), Cider()); '
                       'made by scripts/make-inline-sample-fixture.py',
        'refs': REFS, 'candidates': CANDS, 'corpus': corpus, 'perImage': per_image,
    }, open(args.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
