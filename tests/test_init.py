"""`ttrules init`: the repository it writes passes its own CI, run step by step; and the
project's pre-commit hooks name real commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from helpers import ROOT

BIN = Path(sys.executable).parent


def _run(command: str, cwd: Path, bin_dir: Path = BIN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("GITHUB_BASE_REF", None)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_init_writes_a_repository_whose_ci_passes_step_by_step(tmp_path: Path) -> None:
    repo = tmp_path / "rules"
    made = _run(f"ttrules init {repo}", tmp_path)
    assert made.returncode == 0, made.stderr
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Rules")
    workflow = yaml.safe_load((repo / ".github/workflows/ttrules.yml").read_text(encoding="utf-8"))
    steps = [s for s in workflow["jobs"]["rules"]["steps"] if "run" in s]
    names = [s["name"] for s in steps]
    assert names[0] == "Install ttrules" and len(names) == 5
    # Every step as written, the install included, in a fresh environment like the runner's:
    # the workflow installs the wheel of this ttrules that init wrote (ttrules is on no index).
    venv = tmp_path / "runner"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    for step in steps:
        result = _run(step["run"], repo, venv / "bin")
        assert result.returncode == 0, (step["name"], result.stdout[-2000:], result.stderr[-2000:])
    installed = _run("python -c 'import ttrules; print(ttrules.__file__)'", repo, venv / "bin")
    assert installed.stdout.startswith(str(venv)), installed.stdout
    assert (repo / "junit.xml").is_file() and (repo / "simulation.md").is_file()

    # The lock step really gates: an unconfirmed change fails it.
    rules = repo / "rulesets/merchant/my-shop.ttr"
    rules.write_text(rules.read_text(encoding="utf-8").replace("30 USD", "100 USD"), encoding="utf-8")
    locked = next(s for s in steps if "--locked" in s["run"])
    failed = _run(locked["run"], repo, venv / "bin")
    assert failed.returncode == 1 and "TTR123" in failed.stdout


def test_init_refuses_a_directory_with_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = _run(f"ttrules init {tmp_path}", tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_pre_commit_hooks_name_real_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["ttrules-fmt", "ttrules-check", "ttrules-test"]
    for hook in hooks:
        command = hook["entry"].split()
        assert command[0] == "ttrules"
        helped = _run(" ".join([*command, "--help"]), ROOT)
        assert helped.returncode == 0, helped.stderr


def test_the_vendored_wheel_is_reproducible_and_complete(tmp_path: Path) -> None:
    import zipfile

    from ttrules.selfwheel import build_wheel

    first = build_wheel()
    assert build_wheel() == first  # the same files give the same bytes
    path = tmp_path / "ttrules.whl"
    path.write_bytes(first)
    names = set(zipfile.ZipFile(path).namelist())
    for needed in (
        "ttrules/cli.py",
        "ttrules/grammar/ttrules.lark",
        "ttrules/schema/data/reason_codes.csv",
        "ttrules/rulesets/platform/tiktok-shop-sea.ttr",
        "ttrules-0.1.0.dist-info/RECORD",
        "ttrules-0.1.0.dist-info/entry_points.txt",
    ):
        assert needed in names, needed
