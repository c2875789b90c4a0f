"""YAML configs with dataclasses as the schema and dotted command-line overrides (``--train.lr 1e-3``).

Unknown keys and wrongly typed values fail with a :class:`ConfigError` that names the dotted key
(and the YAML file it came from).
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal, Sequence, TypeVar, Union

import yaml

from speechnas.utils.io import atomic_write_yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config key is unknown, missing or has a value of the wrong type."""


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str, source: str) -> Any:
    """Check ``value`` against the annotation ``tp`` and convert where lossless (int -> float, list -> tuple)."""
    where = f" (in {source})" if source else ""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, source)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(f"config key '{key}'{where}: value {value!r} does not match {_type_name(tp)}")
    if origin is Literal:
        if value in args:
            return value
        raise ConfigError(f"config key '{key}'{where}: value {value!r} is not one of {list(args)}")
    if _is_dataclass_type(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}'{where}: expected a mapping for {tp.__name__}, got {value!r}")
        return from_dict(tp, value, prefix=key, source=source)
    if origin in (list, Sequence, typing.Sequence) or tp is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}'{where}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return [_coerce(v, item, f"{key}[{i}]", source) for i, v in enumerate(value)]
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{key}'{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value))
        if args and len(args) != len(value):
            raise ConfigError(f"config key '{key}'{where}: expected {len(args)} items, got {len(value)}")
        return tuple(_coerce(v, a, f"{key}[{i}]", source) for i, (v, a) in enumerate(zip(value, args or [Any] * len(value))))
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}'{where}: expected a mapping, got {value!r}")
        vt = args[1] if len(args) == 2 else Any
        return {k: _coerce(v, vt, f"{key}.{k}", source) for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{key}'{where}: expected bool (true/false), got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"config key '{key}'{where}: expected int, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"config key '{key}'{where}: expected float, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}'{where}: expected str, got {value!r}")
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise ConfigError(f"config key '{key}'{where}: expected {tp.__name__}, got {value!r}")
    return value


def from_dict(cls: type[T], data: dict, prefix: str = "", source: str = "") -> T:
    """Build dataclass ``cls`` from a (nested) dict, checking every key and type."""
    if not isinstance(data, dict):
        raise ConfigError(f"config{(' ' + repr(prefix)) if prefix else ''}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    where = f" (in {source})" if source else ""
    kwargs = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if k not in names:
            raise ConfigError(f"unknown config key '{key}'{where}; valid keys here: {sorted(names)}")
        kwargs[k] = _coerce(v, hints[k], key, source)
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field without default is missing
        raise ConfigError(f"config{(' ' + repr(prefix)) if prefix else ''}{where}: {e}") from e
    except ConfigError:
        raise
    except ValueError as e:  # a dataclass's own check (__post_init__): say where the section is
        raise ConfigError(f"config key '{prefix or cls.__name__}'{where}: {e}") from e


def to_dict(cfg: Any) -> Any:
    """Plain nested dict/list form of a config (YAML- and JSON-safe)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, (list, tuple)):
        return [to_dict(v) for v in cfg]
    if isinstance(cfg, dict):
        return {k: to_dict(v) for k, v in cfg.items()}
    return cfg


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for p in parts[:-1]:
        child = node.get(p)
        if not isinstance(child, dict):
            child = {} if child is None else child
            if not isinstance(child, dict):
                raise ConfigError(f"config key '{dotted}': '{p}' is not a section")
            node[p] = child
        node = child
    node[parts[-1]] = value


def parse_overrides(args: Sequence[str]) -> list[tuple[str, Any]]:
    """Turn ``["--train.lr", "1e-3", "--model.dim=64"]`` into ``[("train.lr", 0.001), ("model.dim", 64)]``.

    Values are parsed as YAML scalars/lists (``true``, ``3``, ``1e-3``, ``[1, 2]``); dashes in keys become
    underscores.
    """
    out = []
    i = 0
    args = list(args)
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            raise ConfigError(f"expected a --dotted.key option, got {a!r}")
        if "=" in a:
            key, raw = a[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args):
                raise ConfigError(f"option {a} needs a value")
            key, raw = a[2:], args[i + 1]
            i += 2
        out.append((key.replace("-", "_"), _parse_scalar(raw)))
    return out


def _parse_scalar(raw: str) -> Any:
    try:
        v = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    # YAML 1.1 reads "1e-3" as a string; accept it as a float.
    if isinstance(v, str):
        try:
            return float(v) if any(c in v for c in ".eE") and v.strip() not in ("", ".") else v
        except ValueError:
            return v
    return v


def load_config(cls: type[T], path: str | os.PathLike | None = None, overrides: Sequence[str] = ()) -> T:
    """Defaults of ``cls`` <- YAML file ``path`` <- ``overrides`` (dotted ``--key value`` tokens)."""
    data = to_dict(cls())
    source = ""
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e}") from e
        try:
            loaded = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
        # validate the file alone first so errors name the file
        from_dict(cls, _merge(to_dict(cls()), loaded), source=source)
        data = _merge(data, loaded)
    for key, value in parse_overrides(overrides):
        _check_key_exists(cls, key)
        _set_dotted(data, key, value)
    return from_dict(cls, data, source="command line" if overrides and not source else source)


def _check_key_exists(cls: type, dotted: str) -> None:
    tp: Any = cls
    walked = []
    for part in dotted.split("."):
        walked.append(part)
        if not _is_dataclass_type(tp):
            if typing.get_origin(tp) is dict or tp is dict:
                return
            raise ConfigError(f"unknown config key '{dotted}': '{'.'.join(walked[:-1])}' has no sub-keys")
        hints = typing.get_type_hints(tp)
        if part not in hints:
            raise ConfigError(f"unknown config key '{'.'.join(walked)}' (from --{dotted}); valid keys here: {sorted(hints)}")
        tp = hints[part]
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            non_none = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = non_none[0] if len(non_none) == 1 else tp


def _merge(base: dict, update: dict) -> dict:
    if not isinstance(update, dict):
        raise ConfigError(f"config root must be a mapping, got {update!r}")
    out = dict(base)
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def save_config(cfg: Any, path: str | os.PathLike) -> None:
    atomic_write_yaml(path, to_dict(cfg))


def config_to_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False, default_flow_style=False)
