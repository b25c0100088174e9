from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite golden files from the current output (review the diff!)",
    )


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English whatever the machine's locale (tests that need another
    language say so), and no test's language leaks into the next."""
    from ttrules import i18n

    monkeypatch.setenv("TTRULES_LANG", "en")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with the repository root as the working directory (where ttrules.yaml is)."""
    monkeypatch.chdir(ROOT)
    return ROOT


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or os.environ.get("TTRULES_UPDATE_GOLDENS"):
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run pytest --update-goldens"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path.name}"
