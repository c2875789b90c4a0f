"""The NAS core is task-agnostic: nothing under speechnas/nas imports the TTS, audio, data or text packages."""
from __future__ import annotations

import ast

from conftest import REPO

FORBIDDEN = ("speechnas.tts", "speechnas.audio", "speechnas.data", "speechnas.text")


def test_nas_core_never_imports_task_code():
    offenders = []
    for path in sorted((REPO / "speechnas" / "nas").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [f"{path.relative_to(REPO)}:{node.lineno} imports {n}" for n in names if n.startswith(FORBIDDEN)]
    assert not offenders, "\n".join(offenders)
