"""What this CPU can do, read once: the backend choice and every bench result depend on it."""

from __future__ import annotations

import functools
import hashlib
import os
import platform
from dataclasses import KW_ONLY, asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cpu:
    """The CPU model and the instruction-set features that decide how fast each backend runs."""

    model: str
    cores: int
    bf16: bool  # native bf16 dot products (avx512_bf16 or AMX)
    amx: bool
    avx512: bool
    _: KW_ONLY  # the fields below are named at every call
    vnni: bool  # int8 dot products (avx512_vnni or avx_vnni)
    avx2: bool
    flags_digest: str = ""  # sha256 of every flag, sorted: a measured backend choice is redone when it changes

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def label(self) -> str:
        """One line for tables: 'AMD EPYC, 2 cores: avx2 avx512 vnni bf16'."""
        feats = " ".join(k for k in ("avx2", "avx512", "vnni", "bf16", "amx") if getattr(self, k)) or "no AVX2"
        return f"{self.model}, {self.cores} cores: {feats}"


def from_flags(model: str, cores: int, flags: set[str]) -> Cpu:
    """A Cpu from /proc/cpuinfo-style flag names."""
    amx = "amx_bf16" in flags or "amx_tile" in flags
    digest = hashlib.sha256(" ".join(sorted(flags)).encode()).hexdigest()[:16]
    return Cpu(
        model=model,
        cores=cores,
        bf16="avx512_bf16" in flags or amx,
        amx=amx,
        avx512="avx512f" in flags,
        vnni="avx512_vnni" in flags or "avx_vnni" in flags,
        avx2="avx2" in flags,
        flags_digest=digest,
    )


@functools.cache
def detect(cpuinfo: Path = Path("/proc/cpuinfo")) -> Cpu:
    """This machine's CPU (Linux reads /proc/cpuinfo; elsewhere only the model name is known)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    model, flags = platform.processor() or platform.machine(), set[str]()
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model in ("", platform.processor(), platform.machine()):
                model = value.strip()
            elif key in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return from_flags(model, cores, capped(flags, os.environ.get("ONEDNN_MAX_CPU_ISA", "")))


def capped(flags: set[str], max_isa: str) -> set[str]:
    """The flags a process told to use at most `max_isa` (oneDNN's ONEDNN_MAX_CPU_ISA: the runtimes'
    kernels follow it, and OV_CPU_MAX_ISA alike) may use: under an AVX2 cap no AVX-512 or AMX, so the
    backend choice and the bench see the AVX2 class they emulate (bench/embed_throughput.py --emulate-avx2)."""
    if not max_isa.upper().startswith("AVX2"):
        return flags
    keep_vnni = max_isa.upper().startswith("AVX2_VNNI")
    return {f for f in flags if not f.startswith(("avx512", "amx")) and (keep_vnni or f != "avx_vnni")}
