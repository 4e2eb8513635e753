"""Times coco-caption's WMD scorer loop (ruotianluo/coco-caption pycocoevalcap/wmd/wmd.py calc_score /
compute_score: stop words, gensim 4.2 KeyedVectors.wmdistance, exp(-d), best reference, np.mean) on the
tokenized captions the TypeScript bench wrote, with the same vectors. Run by bench/wmd.ts; needs gensim 4.2 +
pyemd (Debian: /usr/bin/python3 with python3-gensim, python3-pyemd).

usage: python3 wmd-reference.py INPUT.json VECTORS.txt.gz  ->  prints {"load_s", "score_s", "corpus"} as JSON
INPUT.json = {"stop_words": [...], "ids": [...], "refs": {id: [...]}, "cands": {id: "..."}}
"""
import json, sys, time
import numpy as np
from gensim.models import KeyedVectors

data = json.load(open(sys.argv[1], encoding="utf-8"))
t0 = time.perf_counter()
model = KeyedVectors.load_word2vec_format(sys.argv[2], binary=False)
t1 = time.perf_counter()
stop = set(data["stop_words"])
scores = []
for i in data["ids"]:
    c = [t for t in data["cands"][i].split(" ") if t not in stop]
    best = []
    for ref in data["refs"][i]:
        r = [t for t in ref.split(" ") if t not in stop]
        best.append(np.exp(-model.wmdistance(c, r) / 1.0))
    scores.append(max(best))
corpus = float(np.mean(np.array(scores)))
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "score_s": t2 - t1, "corpus": corpus}))
