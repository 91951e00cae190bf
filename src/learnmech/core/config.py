"""Experiment configurations: declared constraints, layered resolution and one error message.

A configuration is a tree of :class:`Section` models (pydantic). Each field declares its
constraint as data -- ``Field(ge=, gt=, le=, lt=, description=)`` or a ``Literal`` type -- the
way scikit-learn declares ``_parameter_constraints``. :func:`resolve_config` layers

1. the defaults of the config class,
2. a YAML file (a mapping; nested mappings or dotted keys),
3. programmatic overrides (a mapping of dotted keys, e.g. an experiment's ``smoke``),
4. ``--set key=value`` strings (the value read with ``yaml.safe_load``),
5. ``--seed``,

and any failure becomes a :class:`ConfigError` rendered by one renderer, in one shape::

    <experiment>: <key> must be <accepted>; got <value>

where ``<accepted>`` is read from the field's metadata (type, range, choices). A validator with
its own message (``"<name>: must be ...; got ..."``) keeps its message and gains the key.

Reading is bounded, so that no input costs much before it is refused: a config file must be a
regular file (or a pipe) of at most :data:`MAX_CONFIG_BYTES` bytes of UTF-8, and YAML (files and
``--set`` values alike) may nest at most :data:`MAX_YAML_DEPTH` levels and hold at most
:data:`MAX_YAML_NODES` values once its aliases are expanded (a "billion laughs" document is
refused while it is read). A value shown in a message is cut to a few hundred characters.
"""

from __future__ import annotations

import math
import os
import reprlib
import stat
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo

from learnmech.core.errors import InputError
from learnmech.core.spec import Section

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_SEED",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "RESERVED_KEYS",
    "ConfigError",
    "ExperimentConfig",
    "KeyInfo",
    "Section",
    "config_keys",
    "load_yaml",
    "recorded_quick",
    "resolve_config",
    "split_metadata",
    "to_plain_dict",
]

#: Top-level keys of a run's ``config.yaml`` that describe the run rather than configure it.
#: A config file may carry them (so ``--config runs/X/config.yaml`` reproduces run X); they are
#: ignored on reading, and no config field may use these names.
RESERVED_KEYS = frozenset({"experiment", "quick", "timestamp", "command", "versions"})

#: The largest seed: seeds are 32-bit unsigned integers. Experiments derive further seeds from
#: it (``1000 * seed + replicate`` for torch, which takes at most 2⁶⁴ − 1), so the bound keeps
#: every derived seed in range; 2⁶³ − 1 would not.
MAX_SEED = 2**32 - 1
#: The largest config file read, in bytes.
MAX_CONFIG_BYTES = 1 << 20
#: The deepest nesting of YAML collections accepted (a config needs a handful of levels).
MAX_YAML_DEPTH = 64
#: The most values (scalars and collections) a YAML document may hold, aliases expanded.
MAX_YAML_NODES = 100_000


class ExperimentConfig(Section):
    """The top-level configuration of an experiment; subclasses add fields and sections.

    Attributes
    ----------
    seed : int
        The one seed from which every random choice of the run flows (``>= 0``).
    """

    seed: int = Field(0, ge=0, le=MAX_SEED, description="drives every random choice")


class ConfigError(InputError):
    """A configuration value was refused; ``str(error)`` is the one-line house message.

    Attributes
    ----------
    experiment : str
        The experiment id the configuration was for.
    key : str
        The dotted key refused (``"world.rho"``), or ``"--set"`` / ``"--config"`` for a
        malformed command-line argument or file.
    message : str
        The text after the key: ``"must be a float in [0, 1]; got 1.5"``.
    """

    def __init__(self, experiment: str, key: str, message: str):
        self.experiment = experiment
        self.key = _clip(key, 200)
        self.message = _clip(message, _MESSAGE_LIMIT)
        super().__init__(f"{experiment}: {self.key} {self.message}")


@dataclass(frozen=True)
class KeyInfo:
    """One leaf key of a configuration, as documented by ``learnmech show``.

    Attributes
    ----------
    key : str
        Dotted key, e.g. ``"world.rho"``.
    type : str
        Human-readable type, e.g. ``"float"``, ``"int | tuple[int, ...]"``.
    default : Any
        The default value (plain Python, as written to ``config.yaml``).
    accepted : str
        What the value must be, e.g. ``"a float in [0, 1]"`` (the text used in errors).
    description : str
        The field's description (empty when the field has none).
    kinds : frozenset[str]
        Scalar kinds the field accepts: a subset of {"int", "float", "bool", "str", "literal",
        "tuple", "mapping", "none", "other"}.
    ge, gt, le, lt : float | None
        The declared bounds (None when absent).
    """

    key: str
    type: str
    default: Any
    accepted: str
    description: str
    kinds: frozenset[str]
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None


def config_keys(config_cls: type[Section]) -> dict[str, KeyInfo]:
    """Every leaf key of a config class (sections flattened to dotted keys), in field order.

    Parameters
    ----------
    config_cls : type[Section]
        The configuration class.

    Returns
    -------
    dict[str, KeyInfo]
        Dotted key -> its type, default, accepted values and description.
    """
    out: dict[str, KeyInfo] = {}
    for name, info in config_cls.model_fields.items():
        section = _section_type(info.annotation)
        if section is not None:
            for key, sub in config_keys(section).items():
                out[f"{name}.{key}"] = _replace_key(sub, f"{name}.{key}")
            continue
        bounds = _bounds(info)
        default = info.get_default(call_default_factory=True)
        out[name] = KeyInfo(
            key=name,
            type=_type_name(info.annotation),
            default=_plain(default),
            accepted=_accepted(info),
            description=info.description or "",
            kinds=frozenset(_kinds(info.annotation)),
            **bounds,
        )
    return out


def resolve_config(
    experiment_id: str,
    config_cls: type[ExperimentConfig],
    *,
    file: str | Path | None = None,
    sets: Iterable[str] = (),
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ExperimentConfig:
    """The validated configuration: defaults, then file, then overrides, then sets, then seed.

    Parameters
    ----------
    experiment_id : str
        Used in error messages.
    config_cls : type[ExperimentConfig]
        The experiment's configuration class.
    file : str or Path, optional
        A YAML file holding one mapping; nested mappings and dotted keys both work. The keys
        in :data:`RESERVED_KEYS` (run metadata of a ``config.yaml``) are ignored.
    sets : iterable of str
        ``"key=value"`` strings; ``value`` is read with ``yaml.safe_load`` (``3``, ``0.5``,
        ``[1, 2]``, ``additive``), ``key`` may be dotted (``world.rho``).
    seed : int, optional
        Overrides ``seed`` last.
    overrides : mapping of str to Any, optional
        Dotted key -> Python value, applied after the file and before ``sets`` (used for an
        experiment's ``smoke`` overrides).

    Returns
    -------
    ExperimentConfig
        An instance of ``config_cls``.

    Raises
    ------
    ConfigError
        For any refused key or value, an unreadable file or a malformed ``--set``; nothing
        else is raised for bad input.
    """
    raw: dict[str, Any] = {}
    if file is not None:
        for key, value in _read_file(experiment_id, Path(file)).items():
            if key in RESERVED_KEYS:
                continue
            _assign(experiment_id, config_cls, raw, key, value)
    for key, value in (overrides or {}).items():
        _assign(experiment_id, config_cls, raw, key, value)
    for item in sets:
        key, value = _parse_set(experiment_id, item)
        _assign(experiment_id, config_cls, raw, key, value)
    if seed is not None:
        _assign(experiment_id, config_cls, raw, "seed", seed)
    try:
        return config_cls.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation_error(experiment_id, config_cls, raw, exc) from None


def recorded_quick(experiment_id: str, file: str | Path | None) -> bool:
    """Whether a config file records ``quick: true`` (a quick run's config.yaml): a run
    repeated from it is at the quick size too. False without a file."""
    return file is not None and bool(_read_file(experiment_id, Path(file)).get("quick"))


def split_metadata(recorded: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run's config.yaml content as (config keys, metadata): the metadata holds every key of
    :data:`RESERVED_KEYS` (None when absent); ``recorded`` itself is left as it is."""
    config = {k: v for k, v in recorded.items() if k not in RESERVED_KEYS}
    return config, {k: recorded.get(k) for k in RESERVED_KEYS}


def to_plain_dict(config: Section) -> dict[str, Any]:
    """The configuration as plain Python (dicts, lists, numbers, strings) for YAML/JSON.

    Returns
    -------
    dict[str, Any]
        Nested by section, in field order; tuples become lists.
    """
    return config.model_dump(mode="json")


# --------------------------------------------------------------------------- internals


def _read_file(experiment_id: str, path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML config file, or a ConfigError saying what is wrong."""
    shown = _clip(str(path), 200)
    text = _read_text(experiment_id, path, shown)
    try:
        data = load_yaml(text)
    except _TooBig as exc:
        raise ConfigError(experiment_id, "--config", f"{exc}; got {shown!r}") from None
    except (_yaml_errors(), ValueError) as exc:  # ValueError: e.g. an integer of 5000 digits
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc) or "not valid YAML"
        raise ConfigError(
            experiment_id, "--config", f"must be a valid YAML file; got {shown!r} "
            f"({_clip(str(problem), 200)}{at})"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            experiment_id, "--config", f"must hold a mapping of keys to values; got "
            f"{type(data).__name__} in {shown!r}"
        )
    return data


def _read_text(experiment_id: str, path: Path, shown: str) -> str:
    """The file's text: a regular file (or a pipe) of at most MAX_CONFIG_BYTES bytes of UTF-8."""
    limit = MAX_CONFIG_BYTES
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                kind = "a directory" if stat.S_ISDIR(mode) else "a device or special file"
                raise ConfigError(experiment_id, "--config",
                                  f"must be a regular YAML file; got {shown!r} ({kind})")
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise ConfigError(experiment_id, "--config",
                          f"must be a regular YAML file; got {shown!r} (a directory)") from None
    except OSError as exc:
        raise ConfigError(
            experiment_id, "--config", f"must be a readable YAML file; got {shown!r} "
            f"({exc.strerror or exc})"
        ) from None
    if len(data) > limit:
        raise ConfigError(experiment_id, "--config", f"must be at most {limit} bytes; got "
                          f"{shown!r} (larger)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            experiment_id, "--config", f"must be UTF-8 text; got {shown!r} (byte "
            f"{data[exc.start]:#04x} at offset {exc.start} is not UTF-8)"
        ) from None


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)`` with bounded work: at most MAX_YAML_DEPTH levels of nesting and
    MAX_YAML_NODES values with aliases expanded; a recursive alias is refused.

    Raises
    ------
    yaml.YAMLError
        Ill-formed YAML.
    ValueError
        One of the bounds above broken (the message says which).
    """
    loader = _bounded_loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_errors() -> type[Exception]:
    import yaml

    return yaml.YAMLError


class _TooBig(ValueError):
    """A YAML document broke a bound of :func:`load_yaml`; the message says which."""


_LOADER: type | None = None


def _bounded_loader() -> type:
    """A ``yaml.SafeLoader`` that counts nesting depth and expanded values while composing."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._depth = 0
            self._count = 0
            self._sizes: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                anchor = self.peek_event().anchor
                node = self.anchors.get(anchor)
                if node is not None:
                    size = self._sizes.get(id(node))
                    if size is None:
                        raise _TooBig(f"must not hold a recursive YAML alias (*{anchor} refers "
                                      "to a collection that contains it)")
                    self._add(size)
                return super().compose_node(parent, index)
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise _TooBig(f"must nest at most {MAX_YAML_DEPTH} levels deep")
            start = self._count
            self._add(1)
            node = super().compose_node(parent, index)
            self._depth -= 1
            self._sizes[id(node)] = self._count - start
            return node

        def _add(self, size: int) -> None:
            self._count += size
            if self._count > MAX_YAML_NODES:
                raise _TooBig(f"must hold at most {MAX_YAML_NODES} values with its aliases "
                              "expanded")

    _LOADER = BoundedLoader
    return _LOADER


def _parse_set(experiment_id: str, item: str) -> tuple[str, Any]:
    """Split ``"key=value"`` and read the value as YAML."""
    import yaml

    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(
            experiment_id, "--set", f"must be written key=value (e.g. seed=3); got {item!r}"
        )
    word = text.strip().lower()
    if word in _NON_FINITE:  # YAML spells these .nan/.inf; accept the usual spellings too
        return key, _NON_FINITE[word]
    try:
        value = load_yaml(text) if text.strip() else text
    except _TooBig as exc:
        raise ConfigError(experiment_id, _clip(key, 200), f"{exc}; got {_show(text)}") from None
    except (yaml.YAMLError, ValueError):  # ValueError: e.g. an integer of 5000 digits
        value = text  # not YAML: let the field's validation judge the raw string
    return key, value


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
               "infinity": math.inf, "-infinity": -math.inf}


def _assign(
    experiment_id: str, config_cls: type[Section], raw: dict[str, Any], key: Any, value: Any
) -> None:
    """Set a (dotted) key in the nested raw mapping, refusing keys the config lacks.

    A mapping given for a section is merged key by key, so ``world: {rho: 0.5}`` and
    ``world.rho: 0.5`` mean the same.
    """
    if not isinstance(key, str):
        raise ConfigError(experiment_id, _show(key), _unknown_tail(config_cls, ""))
    parts = key.split(".")
    cls: type[Section] = config_cls
    node = raw
    for depth, part in enumerate(parts):
        prefix = ".".join(parts[:depth])
        if part not in cls.model_fields:
            raise ConfigError(experiment_id, key, _unknown_tail(config_cls, prefix))
        section = _section_type(cls.model_fields[part].annotation)
        last = depth == len(parts) - 1
        if section is None:
            if not last:
                raise ConfigError(experiment_id, key, _unknown_tail(config_cls, prefix))
            node[part] = value
            return
        if last:
            if isinstance(value, Mapping):
                for sub_key, sub_value in value.items():
                    if not isinstance(sub_key, str):
                        sub_key = _show(sub_key)
                    _assign(experiment_id, config_cls, raw, f"{key}.{sub_key}", sub_value)
            elif isinstance(value, Section):
                node[part] = value
            else:
                raise ConfigError(
                    experiment_id, key,
                    f"must be a mapping of {key}.* keys; got {_show(value)}",
                )
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
        cls = section


def _unknown_tail(config_cls: type[Section], prefix: str) -> str:
    """'is not a key of this experiment; accepted keys: ...' for the keys under ``prefix``."""
    keys = list(config_keys(config_cls))
    if prefix:
        keys = [k for k in keys if k.startswith(prefix + ".")] or keys
    return f"is not a key of this experiment; accepted keys: {', '.join(keys)}"


def _from_validation_error(
    experiment_id: str, config_cls: type[Section], raw: dict[str, Any], exc: ValidationError
) -> ConfigError:
    """The first error of a pydantic ValidationError, rendered in the house shape."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    # Walk the location through the sections to the field it names (drop union branch tags
    # and tuple indices that pydantic appends).
    cls: type[Section] | None = config_cls
    path: list[str] = []
    info: FieldInfo | None = None
    for part in loc:
        if cls is None or not isinstance(part, str) or part not in cls.model_fields:
            break
        path.append(part)
        info = cls.model_fields[part]
        cls = _section_type(info.annotation)
        if cls is None:
            break
    key = ".".join(path)
    kind = error["type"]

    if kind == "extra_forbidden":  # normally caught by _assign; kept for Section inputs
        full = ".".join(str(p) for p in loc)
        return ConfigError(experiment_id, full, _unknown_tail(config_cls, key))
    if kind in ("value_error", "assertion_error") or info is None or cls is not None:
        # A validator's own message "name: must be ...; got ..." keeps its text, gains the key.
        message = str(error.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            if message.startswith(prefix):
                message = message[len(prefix):]
        name, sep, rest = message.partition(": ")
        if sep and name and " " not in name:
            key = f"{key}.{name}" if key else name
            message = rest
        return ConfigError(experiment_id, key or "config", message)
    value = _lookup(raw, path, error.get("input"))
    return ConfigError(experiment_id, key, f"must be {_accepted(info)}; got {_show(value)}")


def _lookup(raw: Mapping[str, Any], path: list[str], fallback: Any) -> Any:
    """The raw value given at ``path``, or ``fallback`` when it was a default."""
    node: Any = raw
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return fallback
        node = node[part]
    return node


def _section_type(annotation: Any) -> type[Section] | None:
    """The Section subclass an annotation names, or None for a leaf field."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    return None


def _union_args(annotation: Any) -> tuple[Any, ...]:
    """The members of a union annotation (the annotation itself when it is not a union)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return (annotation,)


def _kinds(annotation: Any) -> list[str]:
    """Scalar kinds an annotation accepts (see :class:`KeyInfo`)."""
    kinds: list[str] = []
    for arg in _union_args(annotation):
        origin = typing.get_origin(arg)
        if arg is type(None):
            kinds.append("none")
        elif arg is bool:
            kinds.append("bool")
        elif arg is int:
            kinds.append("int")
        elif arg is float:
            kinds.append("float")
        elif arg is str:
            kinds.append("str")
        elif origin is Literal:
            kinds.append("literal")
        elif origin in (tuple, list):
            kinds.append("tuple")
        elif origin in (dict, Mapping) or arg is dict:
            kinds.append("mapping")
        else:
            kinds.append("other")
    return kinds


_NOUNS = {
    "int": ("an integer", "integers"),
    "float": ("a float", "floats"),
    "bool": ("a boolean (true/false)", "booleans"),
    "str": ("a string", "strings"),
    "mapping": ("a mapping", "mappings"),
}


def _type_name(annotation: Any) -> str:
    """A short readable name for an annotation: ``int | tuple[int, ...]``."""
    names = []
    for arg in _union_args(annotation):
        if arg is type(None):
            names.append("null")
        elif typing.get_origin(arg) is Literal:
            names.append("choice")
        elif isinstance(arg, type):
            names.append(arg.__name__)
        else:
            names.append(str(arg).replace("typing.", ""))
    return " | ".join(names)


def _accepted(info: FieldInfo) -> str:
    """What a field accepts, from its metadata: ``a float in [0, 1]``, ``one of 'a', 'b'``."""
    parts = []
    rng = _range(_bounds(info))
    for arg in _union_args(info.annotation):
        origin = typing.get_origin(arg)
        if arg is type(None):
            parts.append("null")
        elif origin is Literal:
            parts.append("one of " + ", ".join(repr(c) for c in typing.get_args(arg)))
        elif origin in (dict, Mapping) or arg is dict:
            parts.append("a mapping")
        elif origin in (tuple, list):
            parts.append(_accepted_list(arg, info))
        elif isinstance(arg, type) and arg.__name__ in _NOUNS:
            noun = _NOUNS[arg.__name__][0]
            if arg in (int, float) and rng:
                noun = f"{noun} in {rng}"
            elif arg is float:
                noun = "a finite float"
            elif arg is str and any(getattr(m, "min_length", 0) for m in info.metadata):
                noun = "a non-empty string"
            parts.append(noun)
        else:
            parts.append(f"a {_type_name(arg)}")
    if len(parts) <= 1:
        return parts[0] if parts else "a value"
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _accepted_list(annotation: Any, info: FieldInfo) -> str:
    """``a list of integers, each in [0, 1000000], at least 1 of them`` for a tuple field."""
    items = typing.get_args(annotation)
    if not items or len(items) == 2 and items[1] is Ellipsis:
        item = FieldInfo.from_annotation(items[0] if items else Any)
        noun = _NOUNS.get(getattr(item.annotation, "__name__", ""), ("", "values"))[1]
        text = f"a list of {noun}"
        if rng := _range(_bounds(item)):
            text += f", each in {rng}"
    else:
        text = f"a list of {len(items)} values"
    least = [m.min_length for m in info.metadata if getattr(m, "min_length", None)]
    return text + (f", at least {least[0]} of them" if least else "")


def _bounds(info: FieldInfo) -> dict[str, float | None]:
    """The ge/gt/le/lt bounds declared on a field (annotated_types metadata)."""
    found: dict[str, float | None] = {"ge": None, "gt": None, "le": None, "lt": None}
    for meta in info.metadata:
        for name in found:
            value = getattr(meta, name, None)
            if value is not None:
                found[name] = value
    return found


def _range(bounds: Mapping[str, float | None]) -> str:
    """Interval notation of bounds: ``[0, 1]``, ``(0, inf)``; empty when unbounded."""
    lo, hi = bounds["ge"], bounds["le"]
    left, right = "[", "]"
    if bounds["gt"] is not None:
        lo, left = bounds["gt"], "("
    if bounds["lt"] is not None:
        hi, right = bounds["lt"], ")"
    if lo is None and hi is None:
        return ""
    low = "-inf" if lo is None else _number(lo)
    high = "inf" if hi is None else _number(hi)
    if lo is None:
        left = "("
    if hi is None:
        right = ")"
    return f"{left}{low}, {high}{right}"


def _number(value: float) -> str:
    """A bound written briefly: 0.0 -> '0', 1e6 -> '1000000', 0.005 -> '0.005'."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        if abs(value) < 1e15:
            return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _show(value: Any) -> str:
    """The received value as written in an error message (strings quoted), cut short.

    The work is bounded whatever the value (a huge or deeply nested one, or a DAG of YAML
    aliases): a few levels and items are shown, then ``...``.
    """
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Section):
        value = value.model_dump(mode="json")
    return _clip(_REPR.repr(value), 120)


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters (``...`` marks the cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bounded_repr() -> reprlib.Repr:
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxstring, shown.maxother, shown.maxlong = 3, 100, 100, 60
    shown.maxlist = shown.maxtuple = shown.maxdict = shown.maxset = 8
    return shown


_REPR = _bounded_repr()
_MESSAGE_LIMIT = 4000


def _plain(value: Any) -> Any:
    """A default as plain Python (tuples as lists, sections as dicts)."""
    if isinstance(value, Section):
        return value.model_dump(mode="json")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _replace_key(info: KeyInfo, key: str) -> KeyInfo:
    """A KeyInfo with its key prefixed by the section name."""
    from dataclasses import replace

    return replace(info, key=key)
