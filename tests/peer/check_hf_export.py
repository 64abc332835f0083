#!/usr/bin/env python3
"""Checks a `kgforge model export-hf` directory the way Hugging Face tooling reads it.

transformers itself is not packaged for Debian 12, so this checks each thing it reads with the
library transformers uses for it:
  * config.json: every key Ling's BailingMoeConfig.__init__ reads is present, auto_map resolves
    to Ling's classes, the token ids are inside the vocabulary (nn.Embedding(padding_idx=)
    asserts otherwise), dropouts are 0;
  * safetensors: header, dtype, offsets and metadata {"format": "pt"} as safetensors'
    Python loader and transformers check them; a sharded index covers every tensor once;
  * tokenizer.model: sentencepiece (the library LlamaTokenizer wraps) loads it, bos/eos/pad/unk
    ids match config.json and tokenizer_config.json, every special token is a control symbol;
  * chat_template: rendered with jinja2 exactly as transformers does (sandboxed environment,
    trim_blocks, lstrip_blocks, its tojson), then tokenised as transformers does (text split on
    the special tokens, the rest encoded by sentencepiece), every record of RECORDS must give
    token ids identical to a document of the corpus shards that kgforge wrote for it.

Usage: check_hf_export.py EXPORT_DIR CORPUS_DIR RECORDS.jsonl
Prints a summary; exits 1 with the first discrepancy.
"""
import json
import os
import struct
import sys

import jinja2
import jinja2.ext
import jinja2.sandbox
import numpy as np
import sentencepiece as spm

# BailingMoeConfig.__init__ arguments (Ling's configuration_bailing_moe.py), plus the
# PretrainedConfig keys transformers needs to pick the model class and dtype.
LING_CONFIG_KEYS = [
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "hidden_act", "use_qkv_bias", "use_bias", "rms_norm_eps", "norm_head",
    "tie_word_embeddings", "embedding_dropout", "attention_dropout", "output_dropout",
    "initializer_range", "max_position_embeddings", "rope_theta", "use_cache",
    "use_sliding_window", "rope_scaling", "pad_token_id", "num_experts", "num_shared_experts",
    "num_experts_per_tok", "norm_topk_prob", "moe_intermediate_size", "first_k_dense_replace",
    "head_dim", "output_router_logits", "architectures", "model_type", "auto_map", "torch_dtype",
    "bos_token_id", "eos_token_id",
]
DTYPE_BYTES = {"F32": 4, "BF16": 2, "F16": 2}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_config(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    missing = [k for k in LING_CONFIG_KEYS if k not in cfg]
    if missing:
        fail("config.json misses " + ", ".join(missing))
    if cfg["architectures"] != ["BailingMoeForCausalLM"] or cfg["model_type"] != "bailing_moe":
        fail("config.json architectures/model_type")
    for auto, cls in [("AutoConfig", "configuration_bailing_moe.BailingMoeConfig"),
                      ("AutoModelForCausalLM", "modeling_bailing_moe.BailingMoeForCausalLM")]:
        ref = cfg["auto_map"].get(auto, "")
        # transformers' dynamic-module syntax: "<hub repo>--<module>.<class>"
        if "--" not in ref or ref.split("--", 1)[1] != cls:
            fail("auto_map[%s] = %r does not name %s in a Hub repository" % (auto, ref, cls))
    for k in ["pad_token_id", "bos_token_id", "eos_token_id"]:
        if not 0 <= cfg[k] < cfg["vocab_size"]:
            fail("config.json %s %d outside the vocabulary of %d" % (k, cfg[k], cfg["vocab_size"]))
    for k in ["embedding_dropout", "attention_dropout", "output_dropout"]:
        if cfg[k] != 0.0:
            fail("config.json %s = %r (trained without dropout)" % (k, cfg[k]))
    if cfg["head_dim"] * cfg["num_attention_heads"] != cfg["hidden_size"]:
        fail("config.json head_dim")
    return cfg


def read_safetensors(path):
    """Header and tensors (as float32 numpy arrays), checked as safetensors' loader does."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    if meta.get("format") != "pt":
        fail(path + ": metadata format is not 'pt' (transformers refuses the file)")
    buf = raw[8 + n:]
    end = 0
    tensors = {}
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = t["data_offsets"]
        if b != end:
            fail(path + ": gap or overlap before " + name)
        end = e
        count = int(np.prod(t["shape"])) if t["shape"] else 1
        if e - b != count * DTYPE_BYTES[t["dtype"]]:
            fail(path + ": size of " + name)
        chunk = buf[b:e]
        if t["dtype"] == "F32":
            a = np.frombuffer(chunk, dtype="<f4")
        elif t["dtype"] == "BF16":
            a = (np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        tensors[name] = a.reshape(t["shape"])
    if end != len(buf):
        fail(path + ": trailing bytes")
    return tensors


def check_weights(d, cfg):
    index = os.path.join(d, "model.safetensors.index.json")
    tensors = {}
    if os.path.exists(index):
        idx = json.load(open(index))
        files = sorted(set(idx["weight_map"].values()))
        total = 0
        for f in files:
            part = read_safetensors(os.path.join(d, f))
            for name, a in part.items():
                if idx["weight_map"].get(name) != f:
                    fail("index does not map %s to %s" % (name, f))
                total += a.size * (2 if cfg["torch_dtype"] == "bfloat16" else 4)
            tensors.update(part)
        if set(tensors) != set(idx["weight_map"]):
            fail("index and shards disagree")
        if total != idx["metadata"]["total_size"]:
            fail("index total_size %d, shards hold %d" % (idx["metadata"]["total_size"], total))
    else:
        tensors = read_safetensors(os.path.join(d, "model.safetensors"))
    emb = tensors.get("model.word_embeddings.weight")
    if emb is None or emb.shape != (cfg["vocab_size"], cfg["hidden_size"]):
        fail("model.word_embeddings.weight missing or of the wrong shape")
    for name, a in tensors.items():
        if not np.all(np.isfinite(a)):
            fail(name + " holds non-finite values")
    return tensors


def check_tokenizer(d, cfg):
    sp = spm.SentencePieceProcessor(model_file=os.path.join(d, "tokenizer.model"))
    tc = json.load(open(os.path.join(d, "tokenizer_config.json")))
    stm = json.load(open(os.path.join(d, "special_tokens_map.json")))
    for role, cid in [("bos", "bos_token_id"), ("eos", "eos_token_id"), ("pad", "pad_token_id")]:
        sp_id = getattr(sp, role + "_id")()
        if sp_id != cfg[cid]:
            fail("sentencepiece %s_id %d but config.json %s %d" % (role, sp_id, cid, cfg[cid]))
        if sp.id_to_piece(sp_id) != tc[role + "_token"] or stm[role + "_token"] != tc[role + "_token"]:
            fail("%s token piece disagrees between tokenizer.model and the json files" % role)
    specials = {}
    for sid, tok in tc["added_tokens_decoder"].items():
        if sp.piece_to_id(tok["content"]) != int(sid) or not sp.is_control(int(sid)):
            fail("special %s is not control symbol %s of tokenizer.model" % (tok["content"], sid))
        specials[tok["content"]] = int(sid)
    return sp, tc, specials


def hf_jinja_env():
    """transformers' chat-template environment (tokenization_utils_base._compile_jinja_template)."""
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def hf_encode(sp, specials, text):
    """transformers' slow-tokenizer path: split on added special tokens, encode the rest."""
    ids, i = [], 0
    pieces = sorted(specials, key=len, reverse=True)
    while i < len(text):
        hit = next((p for p in pieces if text.startswith(p, i)), None)
        if hit:
            ids.append(specials[hit])
            i += len(hit)
            continue
        j = min([k for k in (text.find(p, i) for p in pieces) if k >= 0] + [len(text)])
        ids.extend(sp.encode(text[i:j]))
        i = j
    return ids


def read_megatron(prefix):
    idx = open(prefix + ".idx", "rb").read()
    if idx[:9] != b"MMIDIDX\x00\x00":
        fail(prefix + ".idx: bad magic")
    code = idx[17]
    count, _ = struct.unpack("<QQ", idx[18:34])
    lengths = np.frombuffer(idx, dtype="<i4", count=count, offset=34)
    pointers = np.frombuffer(idx, dtype="<i8", count=count, offset=34 + 4 * count)
    dtype = {8: "<u2", 4: "<i4"}[code]
    data = open(prefix + ".bin", "rb").read()
    width = np.dtype(dtype).itemsize
    return [tuple(np.frombuffer(data, dtype=dtype, count=int(n), offset=int(p)).tolist())
            for n, p in zip(lengths, pointers)]


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    d, corpus, records_path = sys.argv[1:]
    cfg = check_config(d)
    tensors = check_weights(d, cfg)
    sp, tc, specials = check_tokenizer(d, cfg)
    template = hf_jinja_env().from_string(tc["chat_template"])
    docs = set()
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    max_tokens = manifest["max_document_tokens"]
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".idx") and not name.endswith("_mask.idx"):
            docs.update(read_megatron(os.path.join(corpus, name[:-4])))
    rendered = matched = 0
    for line in open(records_path):
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("split", "train") != "train":
            continue
        text = template.render(messages=rec["messages"], tools=rec.get("tools"),
                               add_generation_prompt=False, **{k: tc[k] for k in
                                                               ["bos_token", "eos_token"]})
        ids = tuple(hf_encode(sp, specials, text))
        rendered += 1
        if len(ids) > max_tokens:
            continue  # the shard holds it truncated
        if ids not in docs:
            fail("record %s: the chat template + tokenizer give %d ids that match no shard "
                 "document; rendered text:\n%s" % (rec.get("id"), len(ids), text[:2000]))
        matched += 1
    if matched == 0:
        fail("no record was checked against the shards")
    gen = template.render(messages=[{"role": "user", "content": "hi"}], tools=None,
                          add_generation_prompt=True, bos_token=tc["bos_token"],
                          eos_token=tc["eos_token"])
    if not gen.endswith("<|user|>hi<|assistant|>"):
        fail("add_generation_prompt renders %r" % gen)
    print("ok: config.json has all %d Ling keys; %d tensors; tokenizer ids bos %d eos %d pad %d; "
          "chat_template + tokenizer reproduce %d of %d train records' shard documents "
          "token for token (%d longer than %d tokens skipped)"
          % (len(LING_CONFIG_KEYS), len(tensors), sp.bos_id(), sp.eos_id(), sp.pad_id(), matched,
             rendered, rendered - matched, max_tokens))


if __name__ == "__main__":
    main()
