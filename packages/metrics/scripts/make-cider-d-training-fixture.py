#!/usr/bin/env python3
"""Makes fixtures/cider-d-training.json: CIDEr-D training rewards computed by the REAL ruotianluo/cider code
the way ImageCaptioning.pytorch uses it during self-critical training (document frequencies from a
prepro_ngrams-style pickle over token-id rows with the end token 0, then CiderD.compute_score on a batch of
padded id rows cut by rewards.py's array_to_str). Only the small result is committed; the test rebuilds the
corpus from ../shared/data/coco-caption/expected/fakecap_first500.json by the same rules.

Usage (python3 + numpy + six; a checkout of github.com/ruotianluo/cider, e.g. commit dbb3960):
  python3 scripts/make-cider-d-training-fixture.py --cider /path/to/ruotianluo/cider \
      --expected ../../../shared/data/coco-caption/expected/fakecap_first500.json \
      --out fixtures/cider-d-training.json
"""
import argparse
import json
import os
import pickle
import sys
import tempfile
from collections import defaultdict

CORPUS_IMAGES = 400  # the first 400 images (ascending id) form the "training corpus"
BATCH_FIRST = 395    # the batch: images 395..404 in ascending order (5 inside the corpus, 5 outside)
BATCH_SIZE = 10
SEQ_PER_IMG = 5
SEQ_LENGTH = 16      # rows padded with 0 to this length (longer captions truncated, with no end token)
UNKNOWN_ID = 99999   # a token id in no reference


def row_to_caption(row):
    """The caption string ImageCaptioning.pytorch's rewards.py (array_to_str) makes of a row of token ids: the
    ids up to and including the first 0, joined with spaces."""
    kept = []
    for token in row:
        kept.append(str(token))
        if token == 0:
            break
    return ' '.join(kept)


def pad(ids):
    row = list(ids[:SEQ_LENGTH])
    return row + [0] * (SEQ_LENGTH - len(row))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cider', required=True)
    parser.add_argument('--expected', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.cider))
    from pyciderevalcap.ciderD.ciderD import CiderD
    from pyciderevalcap.ciderD.ciderD_scorer import CiderScorer

    case = json.load(open(args.expected))
    ids = sorted(case['tokenized'], key=int)
    # Vocabulary: ids from 1 in order of first appearance (images ascending; references, then the candidate).
    vocab = {}
    for image_id in ids:
        entry = case['tokenized'][image_id]
        for sentence in entry['refs'] + [entry['candidate']]:
            for word in sentence.split():
                vocab.setdefault(word, len(vocab) + 1)

    def encode(sentence):
        return [vocab[w] for w in sentence.split()]

    # prepro_ngrams.py: every reference gets the end token, document frequency over the corpus images.
    corpus = CiderScorer(df_mode='corpus')
    for image_id in ids[:CORPUS_IMAGES]:
        refs = case['tokenized'][image_id]['refs']
        corpus.cook_append(None, [' '.join(str(t) for t in encode(r) + [0]) for r in refs])
    # (older ruotianluo/cider revisions create this dict in __init__; dbb3960 creates it in compute_score)
    corpus.document_frequency = defaultdict(float)
    corpus.compute_doc_freq()
    workdir = tempfile.mkdtemp()
    os.makedirs(os.path.join(workdir, 'data'))
    with open(os.path.join(workdir, 'data', 'fixture-idxs.p'), 'wb') as f:
        pickle.dump({'document_frequency': corpus.document_frequency, 'ref_len': len(corpus.crefs)}, f)
    os.chdir(workdir)  # CiderD loads data/<df>.p relative to the working directory
    scorer = CiderD(df='fixture-idxs')

    batch = ids[BATCH_FIRST:BATCH_FIRST + BATCH_SIZE]
    data_gts, gen_result, greedy_res = [], [], []
    for j, image_id in enumerate(batch):
        entry = case['tokenized'][image_id]
        own = encode(entry['candidate'])
        other = encode(case['tokenized'][batch[(j + 1) % len(batch)]]['candidate'])
        data_gts.append([pad(encode(r)) for r in entry['refs']])
        gen_result += [pad(own), pad(other), pad(own[:3]), pad(own[:2] + [UNKNOWN_ID] + own[2:]), pad(encode(entry['refs'][0]))]
        greedy_res.append(pad(own[::-1]))

    # The CIDEr part of rewards.py get_self_critical_reward: the samples, then the greedy captions, numbered
    # 0, 1, ...; sample i has the references of image i // SEQ_PER_IMG, greedy caption j those of image j.
    samples = len(gen_result)
    captions = [row_to_caption(row) for row in gen_result + greedy_res]
    references = [[row_to_caption(row) for row in rows] for rows in data_gts]
    results = [{'image_id': number, 'caption': [caption]} for number, caption in enumerate(captions)]
    ground_truth = {number: references[number // SEQ_PER_IMG] for number in range(samples)}
    ground_truth.update({samples + j: references[j] for j in range(len(batch))})
    mean, scores = scorer.compute_score(ground_truth, results)

    json.dump({
        'description': 'CIDEr-D training rewards from ruotianluo/cider CiderD(df=<prepro_ngrams-style idxs pickle>) '
                       'on a batch built like ImageCaptioning.pytorch get_self_critical_reward; see '
                       'scripts/make-cider-d-training-fixture.py for every rule',
        'corpus': {'case': 'fakecap_first500', 'images': CORPUS_IMAGES,
                   'vocabulary': 'ids from 1 by first appearance over images ascending, refs then candidate; end token 0 appended to each reference'},
        'batchImageIds': batch,
        'seqPerImg': SEQ_PER_IMG,
        'dataGts': data_gts,
        'genResult': gen_result,
        'greedyRes': greedy_res,
        'expected': {'mean': float(mean), 'scores': [float(s) for s in scores]},
    }, open(args.out, 'w'))


if __name__ == '__main__':
    main()
