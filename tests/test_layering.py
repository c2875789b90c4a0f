"""The NAS core stays task-agnostic: nothing under speechnas/nas imports the TTS stack or the image package,
and the image package does not lean on the TTS stack either."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "speechnas"
FORBIDDEN = ("speechnas.tts", "speechnas.audio", "speechnas.data", "speechnas.text", "speechnas.image")
TTS_STACK = ("speechnas.tts", "speechnas.audio", "speechnas.data", "speechnas.text")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_nas_core_does_not_import_task_code():
    offenders = [
        f"{p.relative_to(PKG.parent)} imports {name}"
        for p in sorted((PKG / "nas").rglob("*.py"))
        for name in _imports(p)
        if name.startswith(FORBIDDEN)
    ]
    assert not offenders, "\n".join(offenders)


def test_image_package_does_not_import_the_tts_stack():
    offenders = [
        f"{p.relative_to(PKG.parent)} imports {name}"
        for p in sorted((PKG / "image").rglob("*.py"))
        for name in _imports(p)
        if name.startswith(TTS_STACK)
    ]
    assert not offenders, "\n".join(offenders)


def test_layering_check_sees_the_packages():
    assert (PKG / "nas" / "space.py").exists() and (PKG / "image" / "space.py").exists()
