#!/usr/bin/env python3
"""Scores public cases with the METEOR 1.5 jar (built by build-meteor-jar.sh) the way coco-caption drives it, on
RAW captions (newlines folded to spaces), so that the normaliser is exercised too; writes <out>/<case>.java.json
for crosscheck.ts to compare with the TypeScript port.

    python3 scripts/meteor/jar-crosscheck.py --jar /tmp/meteor-build/meteor-1.5.jar --shared ../shared/data \
        --out /tmp/meteor-crosscheck [--cases fakecap,magic,zerocap,human_loo] [--paraphrase table.gz]

Cases follow ../shared/data/coco-caption/SOURCES.md (ascending image ids): fakecap (1000 images), magic (4982),
zerocap (5000), human_loo (40,504 val2014 images, leave-one-out).
"""
import argparse
import gzip
import json
import os
import re
import subprocess

FOLD = re.compile('[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')


def cases(shared, names):
    d = os.path.join(shared, 'coco-caption')
    out = {}
    if 'fakecap' in names:
        res = json.load(open(os.path.join(d, 'captions_val2014_fakecap_results.json'), encoding='utf-8'))
        ann = json.load(gzip.open(os.path.join(d, 'captions_val2014_reconstructed.json.gz'), 'rt', encoding='utf-8'))
        refs = {}
        for a in ann['annotations']:
            refs.setdefault(a['image_id'], []).append(a['caption'])
        out['fakecap'] = [(r['image_id'], r['caption'], refs[r['image_id']]) for r in res]
    for name, f in (('magic', 'magic_mscoco_karpathy_test_magic_result.json.gz'), ('zerocap', 'magic_mscoco_karpathy_test_zerocap_result.json.gz')):
        if name in names:
            rows = json.load(gzip.open(os.path.join(d, f), 'rt', encoding='utf-8'))
            out[name] = [(int(re.search(r'(\d+)\.jpg$', e['image_name']).group(1)), e['prediction'], e['captions']) for e in rows]
    if 'human_loo' in names:
        ref = json.load(gzip.open(os.path.join(d, 'codalab_val2014_reference_answer.json.gz'), 'rt', encoding='utf-8'))
        sub = json.load(gzip.open(os.path.join(d, 'codalab_val2014_submission_answer.json.gz'), 'rt', encoding='utf-8'))
        out['human_loo'] = [(int(k), sub[k], ref[k][0]) for k in ref]
    return {k: sorted(v, key=lambda r: r[0]) for k, v in out.items()}


def run(jar, text, extra):
    cmd = ['java', '-Xmx2G', '-cp', jar, 'CocoMeteor', '-', '-', '-stdio', '-l', 'en', '-norm', *extra]
    return subprocess.run(cmd, input=text, capture_output=True, text=True, encoding='utf-8', check=True).stdout.split('\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--jar', required=True)
    ap.add_argument('--shared', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--cases', default='fakecap,magic,zerocap,human_loo')
    ap.add_argument('--paraphrase', help='paraphrase table for -a (default: the jar\'s data/paraphrase-en.gz)')
    args = ap.parse_args()
    extra = ['-a', args.paraphrase] if args.paraphrase else []
    os.makedirs(args.out, exist_ok=True)
    for name, rows in cases(args.shared, args.cases.split(',')).items():
        cands = [FOLD.sub(' ', c) for _, c, _ in rows]
        refs = [[FOLD.sub(' ', r) for r in rs] for _, _, rs in rows]
        lines = [' ||| '.join(('SCORE', ' ||| '.join(r), c.replace('|||', '').replace('  ', ' '))) for c, r in zip(cands, refs)]
        stats = run(args.jar, ''.join(l + '\n' for l in lines), extra)[: len(rows)]
        scores = [float(x) for x in run(args.jar, 'EVAL ||| ' + ' ||| '.join(stats) + '\n', extra) if x.strip()]
        out = {'ids': [str(i) for i, _, _ in rows], 'cands': cands, 'refs': refs, 'stats': stats, 'scores': scores[:-1], 'corpus': scores[-1]}
        with open(os.path.join(args.out, f'{name}.java.json'), 'w', encoding='utf-8') as f:
            json.dump(out, f)
        print(name, len(rows), 'images, jar corpus METEOR', scores[-1])


if __name__ == '__main__':
    main()
