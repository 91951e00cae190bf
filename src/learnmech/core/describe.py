"""Config keys described in words: what type of value each takes, for ``learnmech show``.

:func:`type_in_words` reads a field's annotation and bounds and writes what it accepts as a
reader would say it -- ``integer in [1, 64]``, ``list of integers``, ``one of 'relu', 'tanh'``,
``true or false`` -- instead of ``tuple[Literal['relu', ...], ...]``. :func:`key_fields` lists
every leaf key of a config class (sections flattened to dotted keys) with its field, in the
order ``learnmech show`` prints them. Bounds are read and written as the error messages of
:mod:`learnmech.core.config` write them (the same interval notation).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic.fields import FieldInfo

from learnmech.core.config import _bounds, _range
from learnmech.core.spec import Section

__all__ = ["key_fields", "type_in_words"]

#: A scalar type in words: (one, several).
_NOUNS: dict[type, tuple[str, str]] = {
    int: ("integer", "integers"),
    float: ("number", "numbers"),
    bool: ("true or false", "true/false values"),
    str: ("string", "strings"),
}


def key_fields(config_cls: type[Section]) -> dict[str, FieldInfo]:
    """Every leaf key of a config class, dotted (``kernel.depth``), with its pydantic field."""
    out: dict[str, FieldInfo] = {}
    for name, info in config_cls.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            out.update({f"{name}.{key}": sub for key, sub in key_fields(annotation).items()})
        else:
            out[name] = info
    return out


def type_in_words(info: FieldInfo) -> str:
    """What a field accepts, in words: ``integer in [1, 64]``, ``list of numbers, each in
    (0, 1), at least 2``, ``one of 'ntk', 'nngp'``, ``string or null``.

    Parameters
    ----------
    info : pydantic FieldInfo
        The field (its annotation and its ge/gt/le/lt, min/max length metadata).

    Returns
    -------
    str
        The members of a union joined by "or".
    """
    parts = [_words(arg, info) for arg in _union_args(info.annotation)]
    return " or ".join(dict.fromkeys(parts))


def _words(annotation: Any, info: FieldInfo) -> str:
    """One member of a field's annotation in words (bounds and lengths from ``info``)."""
    if annotation is type(None):
        return "null"
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(c) for c in typing.get_args(annotation))
    if origin in (tuple, list):
        return _list_words(annotation, info)
    if origin in (dict, Mapping) or annotation is dict:
        return "mapping of keys to values"
    if annotation in _NOUNS:
        return _scalar_words(annotation, info)
    return getattr(annotation, "__name__", str(annotation))


def _scalar_words(annotation: type, info: FieldInfo) -> str:
    """``integer in [1, 64]``, ``finite number``, ``non-empty string``, ``true or false``."""
    noun = _NOUNS[annotation][0]
    if annotation in (int, float):
        interval = _range(_bounds(info))
        if interval:
            return f"{noun} in {interval}"
        return "finite number" if annotation is float else noun
    if annotation is str and _lengths(info)[0]:
        return "non-empty string"
    return noun


def _list_words(annotation: Any, info: FieldInfo) -> str:
    """``list of integers, each in [1, 64], at least 1`` or ``list of 2 numbers``."""
    items = typing.get_args(annotation)
    if items and not (len(items) == 2 and items[1] is Ellipsis):
        kinds = {_item_words(item)[1] for item in items}
        noun = kinds.pop() if len(kinds) == 1 else "values"
        return f"list of {len(items)} {noun}"
    item_info, plural = _item_words(items[0] if items else Any)
    text = f"list of {plural}"
    item = item_info.annotation
    if typing.get_origin(item) is Literal:
        text = "list, each " + _words(item, item_info)
    elif item in (int, float) and (interval := _range(_bounds(item_info))):
        text += f", each in {interval}"
    least, most = _lengths(info)
    if least and most and least == most:
        return text + f", exactly {least}"
    if least:
        text += f", at least {least}"
    if most:
        text += f", at most {most}"
    return text


def _item_words(item: Any) -> tuple[FieldInfo, str]:
    """The field of a list's item and its plural noun (``integers``, ``lists of numbers``)."""
    info = FieldInfo.from_annotation(item)
    annotation = info.annotation
    if annotation in _NOUNS:
        return info, _NOUNS[annotation][1]
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return info, _list_words(annotation, info).replace("list of", "lists of", 1)
    if origin is Literal:
        return info, "choices"
    return info, "values"


def _lengths(info: FieldInfo) -> tuple[int | None, int | None]:
    """The declared (min_length, max_length) of a field, None when absent."""
    least = next((m.min_length for m in info.metadata if getattr(m, "min_length", None)), None)
    most = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
    return least, most


def _union_args(annotation: Any) -> tuple[Any, ...]:
    """The members of a union annotation (the annotation itself when it is not a union)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)
