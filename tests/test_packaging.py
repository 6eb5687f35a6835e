"""The wheel installs one top-level name, `akhbar`, which a user's own index.py, search.py or
cli.py cannot shadow (they could when akhbar installed `index`, `search` and `cli`)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

from tests.helpers import ROOT


def test_the_wheel_holds_only_akhbar_and_works_beside_a_users_own_modules(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(dist)], check=True, capture_output=True, text=True
    )
    (wheel,) = dist.glob("akhbar-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"akhbar", next(t for t in tops if t.endswith(".dist-info"))}, tops
    sources = {"akhbar/" + str(p.relative_to(ROOT)) for pkg in ("index", "search", "serve") for p in (ROOT / pkg).rglob("*.py")}
    assert {"akhbar/cli.py", "akhbar/index/store/sql.py"} | sources <= set(names), sorted(sources - set(names))
    templates = {p.name for p in (ROOT / "serve" / "templates").iterdir()}
    assert templates and {n.rsplit("/", 1)[1] for n in names if n.startswith("akhbar/serve/templates/")} == templates
    assert "akhbar/index/embedding/e5-small-semeval.safetensors" in names  # the default model's tuning ships
    assert not [n for n in names if "/tests/" in n or "/bench/" in n or "/seeds/" in n or n.startswith("akhbar/tests")]

    # A fresh environment: the wheel itself, installed without its dependencies, which it finds
    # on a plain path entry to this environment's site-packages. That entry is not a site dir, so
    # the editable install's finder there is never loaded: `akhbar` can only come from the wheel.
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    py = env / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )

    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a developer's path must not supply akhbar
    user = tmp_path / "users-folder"
    user.mkdir()
    for name in ("index.py", "search.py", "cli.py"):
        (user / name).write_text("raise SystemExit('the user module was imported')\n")
    run = subprocess.run(
        [
            str(py),
            "-c",
            "import akhbar.search.query, akhbar.cli, akhbar.serve.pages as p; "
            "p.TEMPLATES.get_template('article.html'); print(akhbar.search.query.__file__)",
        ],
        cwd=user,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().startswith(site)
    help_run = subprocess.run([str(env / "bin" / "akhbar"), "--help"], cwd=user, capture_output=True, text=True, env=clean)
    assert help_run.returncode == 0, help_run.stderr
    assert "similar" in help_run.stdout and "build" in help_run.stdout
