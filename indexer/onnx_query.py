"""Single-query forward passes on ONNX Runtime: the same vectors as sentence-transformers,
in a fraction of the time.

A search embeds one short query per request. Through torch that costs ~35-40 ms on a
2-core machine, most of it per-operator overhead rather than arithmetic; the same graph
on ONNX Runtime's CPU kernels gives the same vector (cosine 0.9999999, checked at export
and in the tests) in ~7 ms. Where the CPU has int8 dot-product instructions (VNNI), an
int8 graph made from that export (`load_int8`: linear layers quantised per channel,
except the ones that move the vectors most) takes ~4 ms and is the default
(PRACTICE_SEARCH_QUERY_RUNTIME=auto); it is only used once it stays within cosine
INT8_MIN_COSINE of torch on the probe texts. The int8 graph also embeds passage
batches when an index is built at `--precision int8` (indexer.precision).

The export is made once per model (id + checksum) under `<home>/cache/onnx/`, verified
against the torch model before it is used, and written atomically. A model whose
sentence-transformers pipeline is not "transformer -> mean or CLS pooling -> (normalise)"
is not exported: it keeps running on torch. So is any model when `onnx`/`onnxruntime`
are missing or `PRACTICE_SEARCH_QUERY_RUNTIME=torch`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("practice_search.onnx")

#: Bumped when the export format changes, so older exports are redone.
EXPORT_VERSION = 1
MODEL_FILE = "model.onnx"
RECORD_FILE = "export.json"
#: An export must reproduce the torch vectors at least this closely (cosine) to be used.
MIN_COSINE = 0.9999
#: Texts the export is checked on: Spanish and English, short and long, padded in a batch.
PROBE_TEXTS = (
    "¿Qué programas de regularización migratoria funcionaron en la región andina?",
    "labour inclusion of refugees",
    "Protección consular y asistencia a personas migrantes en tránsito por Centroamérica, "
    "con atención especial a niñas, niños y adolescentes no acompañados que cruzan fronteras.",
    "x",
)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxUnavailable(RuntimeError):
    """This model cannot run its queries on ONNX Runtime here; the message says why."""


@dataclass(frozen=True)
class Pipeline:
    """What the ONNX path must reproduce of a sentence-transformers model."""

    pooling: str  # "mean" or "cls"
    inputs: tuple[str, ...]  # the tokenizer outputs the transformer takes


def pipeline_of(st: Any) -> Pipeline:
    """The model's pipeline if the ONNX path can reproduce it, else OnnxUnavailable."""
    modules = [type(m).__name__ for m in st.children()] if hasattr(st, "children") else []
    if not modules or modules[0] != "Transformer" or not hasattr(st[0], "auto_model"):
        raise OnnxUnavailable(f"pipeline {modules} does not start with a Hugging Face transformer")
    rest = modules[1:]
    if rest and rest[-1] == "Normalize":
        rest = rest[:-1]
    if rest != ["Pooling"]:
        raise OnnxUnavailable(f"pipeline {modules} is not transformer -> pooling -> normalise")
    cfg = st[1].get_config_dict()
    mode = cfg.get("pooling_mode")
    if mode is None:  # older sentence-transformers: one boolean per mode
        on = [k for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
        mode = (
            {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(on[0])
            if len(on) == 1
            else None
        )
    if mode not in ("mean", "cls"):
        raise OnnxUnavailable(f"pooling mode {mode!r} is not mean or cls")
    if mode == "mean" and cfg.get("include_prompt", True) is False:
        raise OnnxUnavailable("mean pooling that leaves out the prompt tokens")
    feats = st.preprocess(["probe"])
    inputs = tuple(k for k in _INPUTS if k in feats)
    if "input_ids" not in inputs or "attention_mask" not in inputs:
        raise OnnxUnavailable(f"tokenizer outputs {sorted(feats)} lack input_ids/attention_mask")
    return Pipeline(mode, inputs)


RUNTIMES = ("auto", "onnx", "onnx-int8", "torch")


def runtime_choice() -> str:
    """PRACTICE_SEARCH_QUERY_RUNTIME: auto (default), onnx, onnx-int8 or torch."""
    choice = os.environ.get("PRACTICE_SEARCH_QUERY_RUNTIME", "auto").strip().lower()
    if choice not in RUNTIMES:
        raise ValueError(f"PRACTICE_SEARCH_QUERY_RUNTIME={choice!r}: use auto, onnx, onnx-int8 or torch")
    return choice


def available() -> str | None:
    """None when the ONNX path can be used here, else the reason it cannot."""
    if runtime_choice() == "torch":
        return "PRACTICE_SEARCH_QUERY_RUNTIME=torch"
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed"
    return None


def export_dir(cache_dir: Path, model_id: str, checksum: str) -> Path:
    key = hashlib.sha256(f"{model_id}\x00{checksum}\x00{EXPORT_VERSION}".encode()).hexdigest()[:20]
    return Path(cache_dir) / "onnx" / key


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    if pooling == "cls":
        vecs = hidden[:, 0, :]
    else:
        m = mask[..., None].astype(np.float32)
        vecs = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return (vecs / norms).astype(np.float32, copy=False)


class OnnxQueryEncoder:
    """An ONNX Runtime session over an exported transformer, plus the model's pooling.

    `session.run` may be called from several threads at once; with one intra-op thread
    each call runs on its caller's thread, so concurrent requests use both cores."""

    variant = "fp32"

    def __init__(self, path: Path, pipeline: Pipeline, threads: int = 1):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.path = Path(path)
        self.pipeline = pipeline
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, features: dict[str, Any]) -> np.ndarray:
        """Tokenizer features (torch tensors or arrays) -> L2-normalised float32 rows."""
        feed = {k: np.asarray(features[k], dtype=np.int64) for k in self.pipeline.inputs}
        hidden = self.session.run(None, feed)[0]
        return _pool(hidden, feed["attention_mask"], self.pipeline.pooling)


def _torch_vectors(st: Any, texts: list[str]) -> np.ndarray:
    import torch

    with torch.inference_mode():
        out = st(st.preprocess(texts))["sentence_embedding"].float().numpy()
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def export(st: Any, dest: Path, model_id: str, checksum: str) -> dict[str, Any]:
    """Export the model's transformer to `dest/model.onnx`, check it against torch on
    PROBE_TEXTS (single and batched), and move it into place atomically. Returns the record."""
    import torch

    pipe = pipeline_of(st)
    t0 = time.perf_counter()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        model = st[0].auto_model.eval()

        class _Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *args: torch.Tensor) -> torch.Tensor:
                return self.model(**dict(zip(pipe.inputs, args, strict=True))).last_hidden_state

        feats = st.preprocess(list(PROBE_TEXTS[:1]))
        args = tuple(feats[k] for k in pipe.inputs)
        axes = {k: {0: "batch", 1: "tokens"} for k in pipe.inputs}
        axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
        import warnings

        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(  # eval() on the wrapper: the exporter restores its mode after
                _Wrapped().eval(),
                args,
                str(tmp / MODEL_FILE),
                input_names=list(pipe.inputs),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        model.eval()  # (a module left in training mode would make the check below compare against dropout)
        enc = OnnxQueryEncoder(tmp / MODEL_FILE, pipe)
        texts = list(PROBE_TEXTS)
        ref = _torch_vectors(st, texts)
        batched = enc(st.preprocess(texts))
        single = np.vstack([enc(st.preprocess([t])) for t in texts])
        cos = float(min((batched * ref).sum(axis=1).min(), (single * ref).sum(axis=1).min()))
        if not cos >= MIN_COSINE:
            raise OnnxUnavailable(
                f"the ONNX export disagrees with torch (min cosine {cos:.6f} < {MIN_COSINE})"
            )
        record = {
            "export_version": EXPORT_VERSION,
            "model_id": model_id,
            "checksum": checksum,
            "pooling": pipe.pooling,
            "inputs": list(pipe.inputs),
            "min_cosine_vs_torch": round(cos, 7),
            "probe_texts": len(texts),
            "torch": torch.__version__,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n")
        del enc
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
        return record
    finally:
        st.eval()  # whatever happened, the live model stays in inference mode
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load(
    st: Any, cache_dir: Path, model_id: str, checksum: str, threads: int = 1
) -> OnnxQueryEncoder:
    """The model's ONNX query encoder, exporting it first when there is no valid export.
    Raises OnnxUnavailable (with the reason) when this model or machine cannot use one."""
    reason = available()
    if reason:
        raise OnnxUnavailable(reason)
    pipe = pipeline_of(st)
    dest = export_dir(cache_dir, model_id, checksum)
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        record = _read_record(dest)
        if record is not None:
            try:
                return OnnxQueryEncoder(dest / MODEL_FILE, pipe, threads)
            except Exception as exc:  # noqa: BLE001 - a damaged file: export again
                log.warning(
                    "ONNX query encoder in %s cannot be loaded (%s); exporting it again", dest, exc
                )
        log.info("exporting the query encoder of %s to ONNX (once per model, ~15 s)", model_id)
        try:
            record = export(st, dest, model_id, checksum)
        except OnnxUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any exporter failure: stay on torch
            raise OnnxUnavailable(f"export failed: {type(exc).__name__}: {exc}") from exc
        log.info(
            "ONNX export of %s: min cosine vs torch %.7f, %.1f s",
            model_id,
            record["min_cosine_vs_torch"],
            record["seconds"],
        )
        return OnnxQueryEncoder(dest / MODEL_FILE, pipe, threads)


def load_for_queries(
    st: Any, cache_dir: Path, model_id: str, checksum: str, threads: int = 1
) -> OnnxQueryEncoder:
    """The query encoder PRACTICE_SEARCH_QUERY_RUNTIME asks for: `onnx` the fp32 graph,
    `onnx-int8` the int8 one, `auto` (default) the int8 one where the CPU has int8
    dot-product instructions (VNNI) and the graph passes its check, else the fp32 one."""
    enc = load(st, cache_dir, model_id, checksum, threads)
    choice = runtime_choice()
    if choice == "onnx" or (choice == "auto" and not _native_int8()):
        return enc
    try:
        return load_int8(st, cache_dir, model_id, checksum, threads, pipeline=enc.pipeline)
    except OnnxUnavailable as exc:
        if choice == "onnx-int8":
            raise
        log.info("queries of %s stay on the fp32 graph: %s", model_id, exc)
        return enc


def _native_int8() -> bool:
    from indexer.precision import native_int8

    return native_int8()


def load_int8(
    st: Any, cache_dir: Path, model_id: str, checksum: str, threads: int = 1, pipeline: Pipeline | None = None
) -> OnnxQueryEncoder:
    """The int8 graph (made once from the fp32 export, and checked), for queries or for
    passage batches. Raises OnnxUnavailable when it cannot be had or fails its check."""
    if pipeline is None:
        pipeline = load(st, cache_dir, model_id, checksum).pipeline
    dest = export_dir(cache_dir, model_id, checksum)
    from filelock import FileLock

    with FileLock(str(dest) + ".lock"):
        record = _read_record(dest) or {}
        int8 = record.get("int8") or {}
        if int8.get("recipe") != INT8_RECIPE or not (dest / INT8_FILE).is_file():
            record["int8"] = quantize_int8(st, dest, pipeline)
            (dest / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n")
    out = OnnxQueryEncoder(dest / INT8_FILE, pipeline, threads)
    out.variant = "int8"
    return out


#: The int8 graph: linear-layer weights quantised per channel, activations dynamically,
#: except the layers that move the vectors most (INT8_KEEP_FP32).
INT8_FILE = "model_int8.onnx"
#: Bumped when the recipe changes, so older int8 graphs are made again.
INT8_RECIPE = 2
#: It must stay this close (cosine) to the torch vectors on the probe texts.
INT8_MIN_COSINE = 0.99


def int8_keep_fp32(model_path: Path) -> list[str]:
    """MatMul nodes left at fp32: each layer's feed-forward output projection (its input,
    after GELU, has the widest activation range) and every product of the last sixth of
    the layers, 2 of 12 (they feed the pooled vector directly). Measured on XQuAD and squad-es-en:
    quantising everything loses up to 0.0075 dense nDCG@10 on a pair; this recipe at
    most 0.004, for 4.2 instead of 2.2 ms a query (fp32: 6.5 ms)."""
    import re

    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    names = [n.name for n in graph.node if n.op_type == "MatMul"]
    layer = {n: int(m.group(1)) for n in names if (m := re.search(r"layer[._](\d+)[/.]", n))}
    n_layers = max(layer.values(), default=-1) + 1
    first_kept = n_layers - -(-n_layers // 6)  # the last sixth: 2 of 12 layers
    return [
        n for n in names
        if layer.get(n, -1) >= first_kept or ("/output/dense/" in n and "attention" not in n)
    ]


class _HushPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def quantize_int8(st: Any, dest: Path, pipe: Pipeline) -> dict[str, Any]:
    """Write dest/model_int8.onnx from dest/model.onnx and check it against torch."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    t0 = time.perf_counter()
    tmp = dest / (INT8_FILE + ".tmp")
    keep = int8_keep_fp32(dest / MODEL_FILE)
    root = logging.getLogger()
    hush = _HushPreprocessHint()
    root.addFilter(hush)  # the quantiser's advice to pre-process is for static quantisation
    try:
        quantize_dynamic(
            str(dest / MODEL_FILE), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"], nodes_to_exclude=keep,
        )
    finally:
        root.removeFilter(hush)
    enc = OnnxQueryEncoder(tmp, pipe)
    texts = list(PROBE_TEXTS)
    ref = _torch_vectors(st, texts)
    got = np.vstack([enc(st.preprocess([t])) for t in texts])
    cos = float((got * ref).sum(axis=1).min())
    del enc
    if not cos >= INT8_MIN_COSINE:
        tmp.unlink(missing_ok=True)
        raise OnnxUnavailable(f"the int8 query encoder is too far from torch (min cosine {cos:.4f} < {INT8_MIN_COSINE})")
    os.replace(tmp, dest / INT8_FILE)
    return {
        "recipe": INT8_RECIPE, "kept_fp32": len(keep), "min_cosine_vs_torch": round(cos, 5),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _read_record(dest: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((dest / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return None
    if record.get("export_version") != EXPORT_VERSION or not (dest / MODEL_FILE).is_file():
        return None
    return record
