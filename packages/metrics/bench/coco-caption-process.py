#!/usr/bin/env python3
"""coco-caption's evaluation of a COCO results file as one process, the reference side of `npm run bench:process`.

Does what COCOEvalCap.evaluate() does for BLEU-1..4, ROUGE-L and CIDEr (the work of `caption-eval --metrics
bleu,rouge,cider`), with coco-caption's own code (salaniz/pycocoevalcap, the Python 3 port of tylin/coco-caption):
read the annotation file and the results file, group captions per image id as pycocotools' COCO.createIndex and
COCO.loadRes do (pycocotools itself is not needed: its index for captions is these few lines), tokenize references
and results with coco-caption's PTBTokenizer (two java calls of Stanford CoreNLP 3.4.1's PTBTokenizer), score with
Bleu(4), Rouge() and Cider(), and print the corpus scores as JSON (the keys of `caption-eval --json`).

`--ptb-jar FILE` names the CoreNLP jar when the pycocoevalcap folder lacks `tokenizer/stanford-corenlp-3.4.1.jar`
(bench/build-ptb-jar.sh builds one from CoreNLP's v3.4.1 sources). The pycocoevalcap folder must be writable: its
tokenizer writes a temporary file beside itself. Not needed by the package or its tests.
"""
import argparse
import json
import sys
from collections import defaultdict


def captions_per_image(annotations):
    """pycocotools' createIndex: imgToAnns, in file order."""
    per_image = defaultdict(list)
    for annotation in annotations:
        per_image[annotation['image_id']].append(annotation)
    return per_image


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pycocoevalcap', required=True, help='folder holding the pycocoevalcap package')
    parser.add_argument('--ptb-jar', help='Stanford CoreNLP 3.4.1 jar (default: the one in pycocoevalcap/tokenizer)')
    parser.add_argument('--refs', required=True, help='COCO captions annotation file')
    parser.add_argument('--results', required=True, help='COCO results file')
    args = parser.parse_args()
    sys.path.insert(0, args.pycocoevalcap)
    from pycocoevalcap.tokenizer import ptbtokenizer
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.cider.cider import Cider

    if args.ptb_jar is not None:
        ptbtokenizer.STANFORD_CORENLP_3_4_1_JAR = args.ptb_jar

    with open(args.refs) as f:
        coco = json.load(f)
    with open(args.results) as f:
        results = json.load(f)
    # COCO.loadRes for captions: result ids 1..n, and every image must be an image of the annotation file
    image_ids = {image['id'] for image in coco['images']}
    for i, result in enumerate(results):
        result['id'] = i + 1
    assert set(r['image_id'] for r in results) <= image_ids, 'Results do not correspond to current coco set'
    references = captions_per_image(coco['annotations'])
    candidates = captions_per_image(results)
    # params['image_id'] = cocoRes.getImgIds(), as ImageCaptioning.pytorch's eval_utils sets it
    gts = {}
    res = {}
    for image_id in candidates:
        gts[image_id] = references[image_id]
        res[image_id] = candidates[image_id]

    tokenizer = ptbtokenizer.PTBTokenizer()
    gts = tokenizer.tokenize(gts)
    res = tokenizer.tokenize(res)

    scores = {}
    for scorer, names in ((Bleu(4), ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4']), (Rouge(), ['ROUGE_L']), (Cider(), ['CIDEr'])):
        score, _per_image = scorer.compute_score(gts, res)
        for name, value in zip(names, score if isinstance(score, list) else [score]):
            scores[name] = float(value)
    json.dump(scores, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
