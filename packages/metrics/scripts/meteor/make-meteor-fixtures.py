#!/usr/bin/env python3
"""Writes fixtures/meteor/jar-cases.json: values computed by the real METEOR 1.5 jar (cmu-mtlab/meteor @ 8d84a67,
built by build-meteor-jar.sh with CocoMeteor.java) for the METEOR tests of @caption/metrics.

    python3 scripts/meteor/make-meteor-fixtures.py --jar /tmp/meteor-build/meteor-1.5.jar \
        --shared ../shared/data --out fixtures/meteor/jar-cases.json

Contents:
- normalizer: inputs (hand-written edge cases and real raw COCO captions with punctuation) and the jar's
  `-norm` output (Normalizer.normalizeLine, English, punctuation kept; before lower-casing).
- stemmer: SHA-256 digests of "word<TAB>stem\\n" lines over two large real word lists (the COCO caption words;
  the WordNet words of METEOR's synonym files; rules in coco_words / wordnet_words) and a sample of the pairs.
- segments: focused candidate/reference pairs (one per matcher stage, Java hash equality, '|||' handling,
  ties) scored without a paraphrase table; each with the jar's statistics line and score.
- paraphrase: a small paraphrase table in the jar's format (the tests write it to disk themselves), focused
  pairs and the 500 images of fakecap_first500 (PTB-tokenized forms from the expected file) scored with it.
"""
import argparse
import gzip
import hashlib
import json
import os
import subprocess
import tempfile

PARAPHRASE_TABLE = [
    # (probability, reference phrase, paraphrase); common COCO phrases so that real captions use them.
    ('0.5', 'on top of', 'atop'),
    ('0.5', 'atop', 'on top of'),
    ('0.4', 'a couple of', 'two'),
    ('0.3', 'next to', 'beside'),
    ('0.3', 'beside', 'next to'),
    ('0.2', 'sitting', 'seated'),
    ('0.2', 'a group of', 'several'),
    ('0.2', 'several', 'a group of'),
    ('0.1', 'in front of', 'before'),
    ('0.1', 'a man', 'a guy'),
    ('0.1', 'a man', 'someone'),
    ('0.1', 'people', 'persons'),
    ('0.1', 'standing', 'stands'),
    ('0.1', 'a large', 'a big'),
    ('0.1', 'a close up of', 'a closeup of'),
    ('0.1', 'close up', 'closeup'),
    ('0.1', 'each other', 'one another'),
    ('0.1', 'in the', 'inside the'),
    ('0.1', 'of a', 'of one'),
    ('0.1', 'is', 'is'),
    ('0.1', 'white', 'white colored'),
    ('0.1', 'a plate of', 'a dish of'),
    ('0.1', 'a', 'one'),
    ('0.05', 'table', 'desk'),
    ('0.05', 'on', 'upon'),
    ('0.05', 'on', 'on top of'),
    ('0.05', 'street', 'road'),
    ('0.05', 'the', 'a'),
    ('0.05', 'a', 'the'),
    ('0.05', 'man', 'person'),
    ('0.05', 'person', 'man'),
    ('0.05', 'near', 'next to'),
    ('0.05', 'next to', 'near'),
    ('0.05', 'sitting on', 'on'),
    ('0.05', 'of', 'of the'),
    ('0.05', 'black and white', 'white and black'),
    ('0.05', 'is', 'are'),
]

NORMALIZER_CASES = [
    'Mr. Smith went to Washington.',
    'Dr. No. 5 and No. five; pp. 12 and Art. 3. Inc. is big. Co. Ltd.',
    'The U.S.-based company\'s profits rose 5,000 dollars... really....',
    'He said ``hello\'\' and \u201cgoodbye\u201d and \u2018quoted\u2019 `this\'',
    'well-known 3-way e-mail -- dash \u2013 en --- triple ---- four',
    "don't can't it's rock 'n' roll 1990's the '90s o'clock James' hat 'tis",
    'ellipsis... and .... dots. end. a..b ...lead trail...',
    'a,b 1,000 a,1 1,a ,lead trail, 1,2,3 a,,b',
    'tabs\tand\u00a0nbsp\u2003em\u3000ideographic\u202fnarrow  double   triple',
    '\u03a9mega \u00e7af\u00e9 na\u00efve \u041f\u0440\u0438\u0432\u0435\u0442-\u043c\u0438\u0440 \u0422\u0415\u0421\u0422. \u0160koda \u017d\u00fcrich',
    'emoji \U0001F642 test \U0001F436dog',
    '$5.00 #hashtag @user 50% (paren) [bracket] {brace} <angle> & | ~ ^ * + = / \\ ! ? ; :',
    'A.B.C. e.g. i.e. etc. vs. approx. U.K. a.m. 10 p.m.',
    'St. Louis Mt. Hood Jr. Sr. Ph.D. M.D. Lt. Col. Gen.',
    'x. Y. z. 5. A. b',
    '   leading and trailing spaces   ',
    '',
    '.',
    '...',
    "'",
    "''",
    '-',
    '--',
    'a - b',
    'a-',
    '-a',
    "a'",
    "'a",
    "5's 5'x x'5",
    'control\u0001char\u0007s',
]

SEGMENTS = [
    # (what it checks, candidate, references)
    ('exact stage only', 'a zebra grazing', ['zebra on grass']),
    ('stem stage only', 'generously', ['generous']),
    ('stem and synonym both propose dogs-dog: not fixed, and the search drops it (non-exact matches weigh 0 after int truncation)', 'dogs', ['dog']),
    ('synonym stage only', 'automobile', ['car']),
    ('synonym via irregular form (exceptions file)', 'geese', ['goose']),
    ('synonym via WordNet morphology', 'automobiles', ['cars']),
    ('nothing matches', 'spaceship', ['zebra']),
    ('identical sentences: exact stage only', 'a man riding a horse', ['a man riding a horse']),
    ('Java hashCode collision: "20" equals "0n"', '20 dogs', ['0n dogs']),
    ('function words only', 'the of a', ['a the of']),
    ('reordering makes chunks', 'game a during bat a swinging player baseball a', ['a baseball player swinging a bat during a game']),
    ('repeated word', 'a a a a a a a a a a', ['a dog and a cat']),
    ('candidate "|||" removed', 'dog ||| boat', ['a dog on a boat']),
    ('"|||" inside a reference splits it', 'a dog on a boat', ['a dog ||| on a boat']),
    ('best reference wins, first on ties', 'a dog on a boat', ['a cat on a mat', 'a dog on a boat', 'a dog on a boat']),
    ('tie between references: first kept', 'a dog', ['a dog runs', 'a dog sits']),
    ('empty candidate', '', ['a dog']),
    ('punctuation and case (normalised, lower-cased)', 'A Dog, on a BOAT.', ["a dog's boat -- on the U.S. coast"]),
    ('long candidate against long reference', 'a man in a black shirt and a woman in a red dress are sitting on a bench next to a tree in a park',
     ['a woman in a red dress and a man in a black shirt sit on a park bench beside a large tree']),
]

PARAPHRASE_SEGMENTS = [
    ('paraphrase stage only (3 words to 1)', 'atop', ['on top of']),
    ('paraphrase stage only (1 word to 3)', 'on top of', ['atop']),
    ('paraphrase in a sentence', 'a cat atop a table', ['a cat on top of a table']),
    ('paraphrase against exact competition', 'a man on top of a horse on top of a hill', ['a man atop a horse atop a hill']),
    ('several paraphrases', 'a guy seated beside two dogs', ['a man sitting next to a couple of dogs']),
    ('paraphrase with identical phrase pair', 'someone is here', ['a man is here']),
]


def run(jar, lines, extra=()):
    cmd = ['java', '-Xmx2G', '-cp', jar, 'CocoMeteor', '-', '-', '-stdio', '-l', 'en', '-norm', *extra]
    out = subprocess.run(cmd, input=''.join(l + '\n' for l in lines), capture_output=True, text=True, encoding='utf-8', check=True)
    return out.stdout.split('\n')[: len(lines)] if lines else []


def score_lines(candidate, refs):
    # coco-caption's meteor.py _stat
    hyp = candidate.replace('|||', '').replace('  ', ' ')
    return ' ||| '.join(('SCORE', ' ||| '.join(refs), hyp))


def score_segments(jar, segments, extra=()):
    stats = run(jar, [score_lines(c, r) for _, c, r in segments], extra)
    scores = subprocess_eval(jar, stats, extra)
    return [
        {'what': w, 'candidate': c, 'refs': r, 'stats': s, 'score': scores[k]}
        for k, ((w, c, r), s) in enumerate(zip(segments, stats))
    ], scores[-1]


def subprocess_eval(jar, stats, extra):
    cmd = ['java', '-Xmx2G', '-cp', jar, 'CocoMeteor', '-', '-', '-stdio', '-l', 'en', '-norm', *extra]
    out = subprocess.run(cmd, input='EVAL ||| ' + ' ||| '.join(stats) + '\n', capture_output=True, text=True, encoding='utf-8', check=True)
    return [float(x) for x in out.stdout.split()]


def coco_words(shared):
    """Every lower-cased whitespace token (Python str.split) of the captions of
    captions_val2014_reconstructed.json.gz and of every line of ptb_hypo_coco2014_tokenized.txt.gz, without
    words holding a StringTokenizer delimiter, sorted by UTF-8 bytes."""
    words = set()
    ann = json.load(gzip.open(os.path.join(shared, 'coco-caption/captions_val2014_reconstructed.json.gz'), 'rt', encoding='utf-8'))
    for a in ann['annotations']:
        words.update(a['caption'].lower().split())
    with gzip.open(os.path.join(shared, 'coco-caption/ptb_hypo_coco2014_tokenized.txt.gz'), 'rt', encoding='utf-8') as f:
        for line in f:
            words.update(line.split())
    return clean_sorted(words)


def wordnet_words(shared):
    """Every word line of meteor/synonym/english.synsets and every token of the form lines of
    english.exceptions, cleaned and sorted as coco_words."""
    words = set()
    with open(os.path.join(shared, 'meteor/synonym/english.synsets'), encoding='utf-8') as f:
        lines = f.read().split('\n')
    words.update(w for w in lines[0::2] if w)
    with open(os.path.join(shared, 'meteor/synonym/english.exceptions'), encoding='utf-8') as f:
        lines = f.read().split('\n')
    for line in lines[1::2]:
        words.update(line.split())
    return clean_sorted(words)


def clean_sorted(words):
    # STEM lines are split by Java's StringTokenizer: keep words without its delimiters.
    words = [w for w in words if w and not any(c in w for c in ' \t\n\r\f')]
    return sorted(words, key=lambda w: w.encode('utf-8'))


def stem_digest(jar, words):
    stems = run(jar, ['STEM ' + w for w in words])
    digest = hashlib.sha256(''.join(f'{w}\t{s}\n' for w, s in zip(words, stems)).encode('utf-8')).hexdigest()
    return stems, digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--jar', required=True)
    ap.add_argument('--shared', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()

    raw_with_punct = []
    ref = json.load(gzip.open(os.path.join(args.shared, 'coco-caption/codalab_val2014_reference_answer.json.gz'), 'rt', encoding='utf-8'))
    for key in sorted(ref, key=int):
        for caption in ref[key][0]:
            if any(not (c.isalnum() or c == ' ') for c in caption) and '\n' not in caption and '\r' not in caption:
                raw_with_punct.append(caption)
        if len(raw_with_punct) >= 300:
            break
    norm_inputs = NORMALIZER_CASES + raw_with_punct[:300]
    norm_outputs = run(args.jar, ['NORM ' + s for s in norm_inputs])

    words = coco_words(args.shared)
    stems, digest = stem_digest(args.jar, words)
    wn_words = wordnet_words(args.shared)
    wn_stems, wn_digest = stem_digest(args.jar, wn_words)

    segments, _ = score_segments(args.jar, SEGMENTS)

    table_text = ''.join(f'{p}\n{r}\n{q}\n' for p, r, q in PARAPHRASE_TABLE)
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, 'paraphrase-en.gz')
        with gzip.open(table, 'wt', encoding='utf-8') as f:
            f.write(table_text)
        para_segments, _ = score_segments(args.jar, PARAPHRASE_SEGMENTS, ['-a', table])
        expected = json.load(open(os.path.join(args.shared, 'coco-caption/expected/fakecap_first500.json'), encoding='utf-8'))
        ids = sorted(expected['tokenized'], key=int)
        fake = [(i, expected['tokenized'][i]['candidate'], expected['tokenized'][i]['refs']) for i in ids]
        fake_stats = run(args.jar, [score_lines(c, r) for _, c, r in fake], ['-a', table])
        fake_scores = subprocess_eval(args.jar, fake_stats, ['-a', table])

    out = {
        'made_by': 'scripts/meteor/make-meteor-fixtures.py with METEOR 1.5 built from cmu-mtlab/meteor @ 8d84a67 (see scripts/meteor/README.md)',
        'normalizer': [
            {'kind': 'hand-written' if k < len(NORMALIZER_CASES) else 'coco', 'input': i, 'output': o}
            for k, (i, o) in enumerate(zip(norm_inputs, norm_outputs))
        ],
        'stemmer': {
            'coco': {'rule': ' '.join(coco_words.__doc__.split()), 'words': len(words), 'sha256': digest},
            'wordnet': {'rule': ' '.join(wordnet_words.__doc__.split()), 'words': len(wn_words), 'sha256': wn_digest},
            'samples': [[w, s] for k, (w, s) in enumerate(zip(words, stems)) if k % 29 == 0]
            + [[w, s] for k, (w, s) in enumerate(zip(wn_words, wn_stems)) if k % 197 == 0],
        },
        'segments': segments,
        'paraphrase': {
            'table': table_text,
            'segments': para_segments,
            'fakecap_first500': {
                'ids': ids,
                'stats': fake_stats,
                'scores': fake_scores[:-1],
                'corpus': fake_scores[-1],
            },
        },
    }
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', args.out, 'stems', len(words), len(wn_words), 'paraphrase corpus', fake_scores[-1])


if __name__ == '__main__':
    main()
