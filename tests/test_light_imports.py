"""`import outcrop`, the CLI entry point and the whole API app never import torch."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
{statement}
heavy = sorted(m for m in ("torch", "transformers", "onnxruntime", "diffusers") if m in sys.modules)
print(",".join(heavy))
"""


def heavy_modules_after(statement: str) -> str:
    code = PROBE.format(statement=statement)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_outcrop_is_light():
    assert heavy_modules_after("import outcrop") == ""


def test_app_and_cli_are_light():
    statement = "import outcrop.cli.main, outcrop.api.app\nfrom outcrop.settings import Settings\n"
    statement += "outcrop.api.app.build_app(Settings(home='/tmp/outcrop-light'))"
    assert heavy_modules_after(statement) == ""


def test_version_command():
    result = subprocess.run([sys.executable, "-m", "outcrop", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("outcrop, version ")
