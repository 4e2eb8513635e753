"""Times ClipCap's own PyTorch captioning (rmokady/CLIP_prefix_caption) at GPT-2-small + ViT-B/32 size, random weights.

Run by `npm run bench -w @caption/models-clipcap` (bench/captioning.ts) beside our TypeScript timings; prints one JSON
object. Nothing of the three repositories is copied here: they are imported from --src, which must hold

    CLIP_prefix_caption/  (rmokady/CLIP_prefix_caption, train.py and predict.py)
    CLIP/                 (openai/CLIP, clip/model.py)
    nanoGPT/              (karpathy/nanoGPT, model.py)

What runs, per image as ClipCap's predict.py does it: CLIP's `VisionTransformer` (ViT-B/32: 224 px, patch 32, width
768, 12 layers, 12 heads, output 512) → `ClipCaptionModel.clip_project` (ClipCap's MLP, prefix length 10) →
`generate2` (extracted from predict.py with `ast` and executed unmodified: it re-runs the GPT-2 over the whole sequence
at every step, batch 1). At batch 32 the 32 images are encoded as one batch and captioned one by one (generate2 takes
one image; its time per image does not depend on the batch, so at batch B it is timed on --generate-images of the B
images and the per-image figure is the batch's encoding time / B + the mean generate2 time). `transformers` is not installable here, so a stub module gives train.py what it imports:
`GPT2LMHeadModel.from_pretrained('gpt2')` returns GPT-2 small built from nanoGPT's blocks behind the two things
ClipCap calls (`.transformer.wte`, and a call with `inputs_embeds=` whose `.logits` are every position's, as Hugging
Face's GPT2LMHeadModel computes them). Its tokenizer's stop token id is -1, so every caption has exactly --tokens
tokens (random weights could otherwise stop at a '.' by chance), as on our side.
"""

import argparse
import ast
import importlib.util
import json
import os
import sys
import time
import types

import torch
import torch.nn as nn


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--generate-images", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    src = args.src

    nano = load_module("nanogpt_model", os.path.join(src, "nanoGPT", "model.py"))

    class GPT2OnNanoGPT(nn.Module):
        """Hugging Face GPT2LMHeadModel's call surface that ClipCap uses, on nanoGPT's modules (GPT-2 small)."""

        def __init__(self):
            super().__init__()
            self.nano = nano.GPT(nano.GPTConfig(block_size=1024, vocab_size=50257, n_layer=12, n_head=12, n_embd=768))
            self.transformer = self.nano.transformer

        def forward(self, inputs_embeds=None, **_):
            t = inputs_embeds.shape[1]
            pos = torch.arange(0, t, dtype=torch.long)
            x = self.transformer.drop(inputs_embeds + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            return types.SimpleNamespace(logits=self.nano.lm_head(x))

    class StubGPT2LMHeadModel:
        @staticmethod
        def from_pretrained(_name):
            return GPT2OnNanoGPT()

    class StubTokenizer:
        def encode(self, _text):
            return [-1]  # never generated: every caption runs to entry_length

        def decode(self, ids):
            return " ".join(str(int(i)) for i in ids)

    stub = types.ModuleType("transformers")
    stub.GPT2LMHeadModel = StubGPT2LMHeadModel
    stub.GPT2Tokenizer = StubTokenizer
    stub.AdamW = torch.optim.AdamW
    stub.get_linear_schedule_with_warmup = lambda *a, **k: None
    sys.modules["transformers"] = stub

    train = load_module("clipcap_train", os.path.join(src, "CLIP_prefix_caption", "train.py"))
    predict_source = open(os.path.join(src, "CLIP_prefix_caption", "predict.py")).read()
    tree = ast.parse(predict_source)
    generate2_def = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "generate2")
    namespace = {"torch": torch, "nnf": torch.nn.functional, "np": __import__("numpy")}
    exec(compile(ast.Module(body=[generate2_def], type_ignores=[]), "predict.py", "exec"), namespace)
    generate2 = namespace["generate2"]

    clip_model = load_module("clip_model", os.path.join(src, "CLIP", "clip", "model.py"))
    visual = clip_model.VisionTransformer(
        input_resolution=224, patch_size=32, width=768, layers=12, heads=12, output_dim=512
    ).eval()
    model = train.ClipCaptionModel(prefix_length=10, prefix_size=512).eval()
    tokenizer = StubTokenizer()

    def caption(images, count):
        """predict.py's steps for a batch: encode all, generate2 for the first `count`; (encode ms, generate ms)."""
        t0 = time.perf_counter()
        with torch.no_grad():
            prefix = visual(images)
            embeds = model.clip_project(prefix).reshape(images.shape[0], 10, -1)
        t1 = time.perf_counter()
        for i in range(count):
            generate2(model, tokenizer, embed=embeds[i : i + 1], entry_length=args.tokens)
        return (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000

    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "tokens": args.tokens,
        "parameters": {
            "visual": sum(p.numel() for p in visual.parameters()),
            "clipcap": sum(p.numel() for p in model.parameters()),
        },
        "rows": [],
    }
    for batch in [int(b) for b in args.batches.split(",")]:
        images = torch.randn(batch, 3, 224, 224)
        count = min(batch, args.generate_images)
        caption(images[:1], 1)  # warm-up
        total, encode = [], []
        for _ in range(args.runs):
            encode_ms, generate_ms = caption(images, count)
            encode.append(encode_ms / batch)
            total.append(encode_ms / batch + generate_ms / count)
        def median(xs):
            ys = sorted(xs)
            return (ys[(len(ys) - 1) // 2] + ys[len(ys) // 2]) / 2

        out["rows"].append(
            {"batch": batch, "msPerImage": median(total), "encodeMsPerImage": median(encode), "generated": count, "runs": total}
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
