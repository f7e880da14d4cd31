"""The Typer application, its shared options and the user-error policy.

Commands live in their own modules (``_demo.py``, ...) and register themselves on ``app``.
A user error (bad file, bad argument, bad schema) ends with exit status 2 and a single line
on stderr, never a traceback.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from lvdyn.cli._wording import cli_wording, flags_of
from lvdyn.core._errors import FitError, SchemaError

#: ``lvdyn --help`` lists the commands in the order of the workflow.
COMMAND_ORDER = (
    "demo",
    "train",
    "import",
    "import-checkpoints",
    "fit",
    "analyze",
    "predict",
    "plot",
    "report",
    "sweep",
    "experiment",
)


def _tidy_params(params: Sequence[Any]) -> None:
    """Help labels: ``TRACES`` for an argument, nothing for a flag, ``<int>`` for a range.

    Typer writes ``{traces}`` in the usage line, ``<bool>`` beside every flag (``--help``
    too), ``<int range>`` and ``<list[Path]>``; a label that the command sets stays.
    """
    for param in params:
        if param.metavar is not None:
            continue
        if isinstance(param, TyperArgument):
            many = param.nargs != 1
            param.metavar = str(param.name).upper() + "..." * many
            if many and param.type_descriptor.is_list:  # `<list[Path]>` -> `<path>...`
                typed = param.display_type_rich

                def shown(ctx: Any, typed: Any = typed) -> str:
                    return re.sub(r"<list\[(\w+)\]>", lambda m: f"<{m[1].lower()}>...", typed(ctx))

                param.display_type_rich = shown  # type: ignore[method-assign]
        elif getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.type_descriptor.is_ranged:  # the range itself follows: [x>=1]
            param.metavar = f"<{param.type_descriptor.ranged_type_name}>"


def _short_help(help_text: str | None) -> str | None:
    """The first paragraph on one line (the command list keeps a docstring's line breaks)."""
    if not help_text:
        return None
    return " ".join(help_text.strip().split("\n\n")[0].split())


def reflow(help_text: str | None) -> str | None:
    r"""Join the hard-wrapped lines of each paragraph, so that rich wraps them to the
    terminal evenly; indented lines (examples) keep their own lines.

    >>> reflow("One line\nand its rest.\n\n    lvdyn fit x.nc\n")
    'One line and its rest.\n\n    lvdyn fit x.nc'
    """
    if not help_text:
        return help_text
    paragraphs = []
    for block in help_text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith("    ") for line in lines):
            paragraphs.append(block)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


class Command(TyperCommand):
    """A command whose help reads ``Usage: lvdyn fit [OPTIONS] TRACES`` (`_tidy_params`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_params(self.params)
        self.help = reflow(self.help)
        if self.short_help is None:
            self.short_help = _short_help(self.help)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                label = str(param.metavar)
                pieces.append(label if param.required else f"[{label}]")
        return pieces

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


class Group(TyperGroup):
    """A command group with the same help labels, its commands in `COMMAND_ORDER`."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        order = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: order.get(name, len(order)))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


app = typer.Typer(
    cls=Group,
    name="lvdyn",
    help="Fit ecology-style dynamical models to competing representations in training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root() -> None:
    """Fit ecology-style dynamical models to competing representations in training."""


#: Exceptions that mean "the user gave something wrong" rather than "lvdyn has a bug".
USER_ERRORS: tuple[type[BaseException], ...] = (
    SchemaError,
    FitError,
    ValueError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    ImportError,
)


def one_line(error: BaseException | str) -> str:
    """Squash an exception message onto one line."""
    text = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
    return text or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Errors and warnings raised under a command are printed as one line each, with the
    library's keywords written as the command's flags (`lvdyn.cli._wording`).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    _register_commands()
    with warnings.catch_warnings():
        # --quiet prints only errors; otherwise each warning is one line on stderr.
        warnings.simplefilter("ignore" if {"--quiet", "-q"} & set(args) else "default")
        warnings.showwarning = _warning_printer(args)
        return _run(args)


def _flags(args: list[str]) -> dict[str, str]:
    try:
        return flags_of(typer.main.get_command(app), args)
    except Exception:
        return {}


def _warning_printer(args: list[str]) -> Any:
    """A ``warnings.showwarning`` that prints ``lvdyn: warning: ...`` on one line."""

    def show(message: Any, category: Any, *_: Any, **__: Any) -> None:
        text = cli_wording(one_line(message), _flags(args))
        print(f"lvdyn: warning: {text} ({category.__name__})", file=sys.stderr)

    return show


def _run(args: list[str]) -> int:
    argv = args
    try:
        result = app(args=args, prog_name="lvdyn", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show, message = getattr(exc, "show", None), getattr(exc, "format_message", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and callable(show):
            show()  # `lvdyn train` alone: the help, not an error line
        else:
            ctx = getattr(exc, "ctx", None)
            hint = f" See '{ctx.command_path} --help'." if ctx is not None else ""
            text = one_line(message() if callable(message) else str(exc)).rstrip(".")
            given = _given_value(getattr(exc, "param", None), argv)
            if given is not None and repr(given) not in text:
                text += f"; got {given!r}"
            print(f"lvdyn: error: {text}.{hint}", file=sys.stderr)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("lvdyn: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        # In a schema error `step` and `component` are the dataset's variables, not flags.
        text = cli_wording(one_line(exc), _flags(args), quoted=not isinstance(exc, SchemaError))
        print(f"lvdyn: error: {text}", file=sys.stderr)
        return 2
    return int(result) if isinstance(result, int) else 0


def _given_value(param: object, argv: Sequence[str] | None) -> str | None:
    """The value given on the command line for the option ``param`` (for error messages)."""
    args = list(sys.argv[1:] if argv is None else argv)
    for opt in getattr(param, "opts", ()):
        for i, arg in enumerate(args):
            if arg == opt and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(f"{opt}="):
                return arg.split("=", 1)[1]
    return None


def _register_commands() -> None:
    """Import the command modules; each decorates a function with ``@app.command``.

    The order is the workflow's, which is the order ``lvdyn --help`` lists them in.
    """
    import importlib

    for name in (
        "_demo",
        "_train",
        "_import",
        "_import_checkpoints",
        "_fit",
        "_analyze",
        "_plot",
        "_report",
        "_sweep",
        "_experiment",
    ):
        importlib.import_module(f"lvdyn.cli.{name}")
