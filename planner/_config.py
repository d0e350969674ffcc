"""Scenario and batch files (TOML or YAML) read with limits: size, nesting, no YAML aliases."""

from __future__ import annotations

import tomllib
from pathlib import Path

from planner.errors import ScenarioError

__all__ = ["read_config", "decode_utf8", "MAX_CONFIG_BYTES", "MAX_DEPTH"]

#: Largest scenario/batch file accepted (a real one is a few kB).
MAX_CONFIG_BYTES = 1 << 20
#: Deepest nesting of lists/tables accepted (a real file needs 4).
MAX_DEPTH = 32


def decode_utf8(data: bytes, where: str, error: type[Exception] = ScenarioError) -> str:
    """Text of a UTF-8 file (a BOM is allowed), or an error saying where the bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8") from None


def read_config(path: str | Path, *, what: str = "scenario file") -> tuple[object, str]:
    """The data and text of a ``.toml``/``.yaml``/``.yml`` file, or a ScenarioError.

    YAML anchors/aliases (``&a`` / ``*a``, and ``<<`` merges) are refused: they are how
    "billion laughs" files blow up, and a planning file does not need them.
    """
    path = Path(path).expanduser()
    where = f"{what} {path}"
    if not path.is_file():
        raise ScenarioError(f"{where} does not exist" + (
            " (it is a directory)" if path.is_dir() else ""))
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ScenarioError(f"{where}: use a .toml or .yaml file")
    with path.open("rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ScenarioError(f"{where} is larger than {MAX_CONFIG_BYTES >> 10} KiB; a scenario "
                            "or batch file should be a few kB (put data in layer files)")
    text = decode_utf8(data, where)
    if _flow_depth(text) > MAX_DEPTH:
        raise ScenarioError(f"{where} is nested more than {MAX_DEPTH} levels deep; "
                            "a scenario file needs only a few")
    try:
        parsed = _parse_toml(text, where) if suffix == ".toml" else _parse_yaml(text, where)
    except RecursionError:
        parsed = None
        deep = True
    else:
        deep = _depth(parsed) > MAX_DEPTH
    if deep:
        raise ScenarioError(f"{where} is nested more than {MAX_DEPTH} levels deep; "
                            "a scenario file needs only a few")
    return parsed, text


def _parse_toml(text: str, where: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where} is not valid TOML: {exc}") from None


def _parse_yaml(text: str, where: str) -> object:
    try:
        import yaml
    except ImportError:
        raise ScenarioError("YAML files need PyYAML: pip install pyyaml; or write the file "
                            "as TOML") from None

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                line = event.start_mark.line + 1
                raise ScenarioError(f"{where}, line {line}: YAML aliases (*{event.anchor}) "
                                    "are not allowed; write the values out")
            return super().compose_node(parent, index)

    try:
        _scan_yaml_events(yaml, text, where)
        return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where} is not valid YAML: {exc}") from None


def _flow_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` opened where a collection may start (after ``:``,
    ``-``, ``,``, ``=``, another bracket or at a line start), outside quotes and comments.

    Linear and cheap: PyYAML's scanner is slow on thousands of nested brackets, so they are
    refused before parsing.
    """
    depth = deepest = 0
    quote = ""
    previous = "\n"
    comment = False
    for char in text:
        if comment:
            comment = char != "\n"
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and previous in " \t\n":
            comment = True
        elif char in "[{" and previous in ":-,=[{\n \t":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
        if not char.isspace() or char == "\n":
            previous = char if not (char in " \t") else previous
    return deepest


def _scan_yaml_events(yaml, text: str, where: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before building anything."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ScenarioError(f"{where}, line {event.start_mark.line + 1}: YAML aliases "
                                f"(*{event.anchor}) are not allowed; write the values out")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{where} is nested more than {MAX_DEPTH} levels deep; "
                                    "a scenario file needs only a few")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _depth(value: object) -> int:
    """Nesting depth of lists/dicts, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest
