"""Command-line wording: messages of errors and warnings raised under a command name its flags.

The library speaks Python ("`window` selects no steps", "use derivative='forward'"); under
``lvdyn fit`` the same message should say ``--window`` and ``--derivative forward``. This is
the one place that translates: `flags_of` reads the running command's options from click,
and `cli_wording` rewrites a backticked name and ``name=value`` for each keyword that is one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["cli_wording", "flags_of"]

_KEYWORD = re.compile(r"(?<![\w-])(\w+)=(?:'([^']*)'|\"([^\"]*)\"|([^\s,;)'\"]*))")
_QUOTED = re.compile(r"`(\w+)`")
#: A backticked name after one of these words names a config key or a variable, not a flag.
_NOT_FLAGS = {"key", "keys", "variable", "column", "coordinate", "attribute"}


def flags_of(root: Any, argv: Sequence[str]) -> dict[str, str]:
    """Python keyword -> flag (``"window"`` -> ``"--window"``) of the command in ``argv``."""
    command = root
    for arg in argv:
        commands = getattr(command, "commands", None)
        if not commands or arg.startswith("-"):
            break
        if arg not in commands:
            break
        command = commands[arg]
    flags: dict[str, str] = {}
    for param in getattr(command, "params", []):
        long = [opt for opt in getattr(param, "opts", []) if opt.startswith("--")]
        if long and param.name:
            flags[param.name] = long[0]
            flags[long[0][2:].replace("-", "_")] = long[0]
    flags.pop("json", None)  # `--json` is an output switch, never what a message refers to
    return flags


def cli_wording(text: str, flags: dict[str, str], *, quoted: bool = True) -> str:
    """``text`` with the keywords that are flags of the command written as flags.

    ``name=value`` always; a backticked name only with ``quoted`` (a schema error's backticks
    name the dataset's variables, not flags).

    Examples
    --------
    >>> flags = {"window": "--window", "derivative": "--derivative", "value": "--value"}
    >>> cli_wording("`window` (5, 9) selects no steps", flags)
    '`--window` (5, 9) selects no steps'
    >>> cli_wording("widen `window`, or use derivative='forward'.", flags)
    'widen `--window`, or use --derivative forward.'
    >>> cli_wording("with the value= argument; `strength` is missing", flags)
    'with the --value argument; `strength` is missing'
    >>> cli_wording("unknown sweep key `window`", flags)
    'unknown sweep key `window`'
    """

    def keyword(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in flags:
            return match.group(0)
        value = next((g for g in match.groups()[1:] if g is not None), "")
        return f"{flags[name]} {value}" if value else flags[name]

    def backticked(match: re.Match[str]) -> str:
        name = match.group(1)
        before = match.string[: match.start()].rstrip().rsplit(" ", 1)[-1].lower()
        if name not in flags or before in _NOT_FLAGS:  # "sweep key `workers`" is a key
            return match.group(0)
        return f"`{flags[name]}`"

    text = _KEYWORD.sub(keyword, text)
    return _QUOTED.sub(backticked, text) if quoted else text
