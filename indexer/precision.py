"""The numeric precision passages are embedded at: fp32, bf16 or int8, chosen by rule.

Embedding passages is what a build waits for (82% of it in the model at fp32). On a
CPU with native bf16 arithmetic (AVX-512 BF16 or AMX), running the transformer's
matrix products in bf16 under torch autocast gives the same vectors (cosine 0.99999 to
fp32 on the sample corpus) about 2.8 times faster; the int8 ONNX Runtime graph
(`indexer.onnx_query`) is faster still but moves vectors further (see the README's
speed section for the measured figures). The rule:

- `fp32` is always available and is what any other precision is checked against;
- `bf16` and `int8` are only used after they reproduce the fp32 vectors on
  `PROBE_TEXTS` (Spanish, English and French passages) at cosine >= MIN_COSINE;
- `auto` (the default) is bf16 where the CPU computes bf16 natively and the check
  passes, else fp32: without native support bf16 is emulated and slower than fp32.

A re-index keeps the precision its index was built at (as it keeps the backend), so
the vectors of one index come from one precision; the manifest records it.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

import numpy as np

log = logging.getLogger("practice_search.precision")

PRECISIONS = ("fp32", "bf16", "int8")
CHOICES = ("auto", *PRECISIONS)
#: A precision other than fp32 must reproduce the fp32 vectors at least this closely.
MIN_COSINE = 0.99
#: Passages the check runs on: the three languages of the collections, short and long,
#: written for this project.
PROBE_TEXTS = (
    "La evaluación final del programa de reintegración encontró que las personas retornadas "
    "que recibieron apoyo psicosocial y capital semilla mantuvieron sus negocios dos años después.",
    "Las mesas técnicas departamentales coordinaron la identificación de víctimas de trata y su "
    "derivación a refugios especializados, aunque la financiación dependió de la cooperación.",
    "The labour migration component trained recruitment agencies on ethical recruitment and "
    "reduced the fees charged to workers leaving for the Gulf.",
    "Border officials received training on identifying unaccompanied children; referral to "
    "child protection services took four days on average.",
    "Le projet a renforcé la collecte de données sur les migrations de retour et a appuyé "
    "les autorités locales dans la planification de la réintégration communautaire.",
    "Les migrants en transit au Niger ont bénéficié d'une assistance médicale, d'un hébergement "
    "temporaire et d'informations sur les risques de la traversée du désert.",
    "Recomendaciones",
)


class PrecisionRefused(ValueError):
    """This precision cannot be used with this model here; the message says why."""


def check_choice(choice: str) -> str:
    c = (choice or "auto").strip().lower()
    if c not in CHOICES:
        raise ValueError(f"passage precision {choice!r}: use one of {', '.join(CHOICES)}")
    return c


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16() -> bool:
    """The CPU multiplies bf16 natively and torch's oneDNN kernels can use it."""
    if os.environ.get("PRACTICE_SEARCH_NO_BF16"):  # an escape hatch for odd platforms
        return False
    if not (cpu_flags() & {"avx512_bf16", "amx_bf16"}):
        return False
    try:
        import torch

        return bool(torch.backends.mkldnn.is_available())
    except ImportError:  # pragma: no cover
        return False


def native_int8() -> bool:
    """The CPU has int8 dot-product instructions (VNNI): ONNX Runtime's int8 kernels then
    neither saturate nor lose to fp32."""
    return bool(cpu_flags() & {"avx512_vnni", "avx_vnni", "amx_int8"}) or os.uname().machine in ("aarch64", "arm64")


def auto_precision() -> str:
    return "bf16" if native_bf16() else "fp32"


def default_for(embedder: Any) -> str:
    """The precision a fresh index gets from this embedder here (what `auto` chooses);
    fp32 for encoders without precisions. Benchmarks pass it explicitly, so that their
    cached indexes follow the machine's default instead of keeping an older precision."""
    return auto_precision() if hasattr(embedder, "use_passage_precision") else "fp32"


def cache_kind(precision: str) -> str:
    """The embedding cache's kind for passages at `precision` (fp32 keeps the old key)."""
    return "passage" if precision == "fp32" else f"passage@{precision}"


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.asarray(a) * np.asarray(b)).sum(axis=1).min())


def verify(embedder: Any, precision: str) -> float:
    """The lowest cosine between `precision`'s and fp32's vectors of PROBE_TEXTS;
    PrecisionRefused below MIN_COSINE."""
    texts = embedder._prefixed("passage", list(PROBE_TEXTS))
    ref = embedder._encode(texts, precision="fp32")
    got = embedder._encode(texts, precision=precision)
    cos = min_cosine(ref, got)
    if not cos >= MIN_COSINE:
        raise PrecisionRefused(
            f"{precision} passage vectors of {embedder.model_id} are too far from fp32 "
            f"(min cosine {cos:.4f} < {MIN_COSINE} on the probe texts); use fp32"
        )
    return cos
