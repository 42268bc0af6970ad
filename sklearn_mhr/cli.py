"""The ``sklearn-mhr`` command line: demo, train, evaluate, predict, tune, plot and export.

Each command declares its options beside what it does, in its module of
``sklearn_mhr._commands``; this module gathers them and runs the one asked for.
Errors a user can fix (a missing file, a malformed metadata row, a damaged
model, an invalid parameter) end the command with a one-line message on
stderr and exit code 1; argparse's own usage errors exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

__all__ = ["COMMANDS", "main", "build_parser"]

#: the commands, in the order ``--help`` lists them; each is a module of
#: ``sklearn_mhr._commands`` with ``HELP``, ``DESCRIPTION``, ``add_arguments`` and ``run``
COMMANDS = ("demo", "train", "evaluate", "predict", "tune", "plot", "export")


class _Parser(argparse.ArgumentParser):
    """A command's parser; ``more_help``, when a command sets it, adds text to its ``--help``.

    The text is made only when help is printed, so that building the parser
    imports nothing heavy (the model parameters' list imports the estimator).
    """

    more_help = None

    def format_help(self) -> str:
        text = super().format_help()
        return text if self.more_help is None else f"{text}\n{self.more_help()}\n"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-mhr``: each command declares its own options."""
    from sklearn_mhr import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-mhr",
        description="Learn audio representations from raw waveforms with multi-head relevance "
                    "weighting, and classify sounds with them.",
        epilog="'sklearn-mhr COMMAND --help' lists the options of a command; those of train "
               "and tune list every model parameter with its default and valid values. 'python "
               "-m pydoc sklearn_mhr.MHRAudioClassifier' describes the parameters; the source "
               "repository's docs/ folder is the full documentation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"sklearn_mhr._commands.{name}")
        command = commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.add_arguments(command)
        command.set_defaults(module=name)
    return parser


def _one_line(exc: BaseException) -> str:
    """The message of `exc` on one line.

    An error raised in a DataLoader worker (decoding a clip with ``--lazy
    --workers N``) comes back with the worker's whole traceback in its message;
    keep only the original message, which follows the traceback's last
    ``Type: `` prefix.
    """
    message = str(exc)
    if "Original Traceback" in message:
        name = type(exc).__qualname__
        _, sep, tail = message.rpartition(f"{name}: ")
        if sep and tail.strip():
            message = tail
    return " ".join(message.split()) or type(exc).__name__


def _warning_printer(command: str):
    """``warnings.showwarning`` for the command line: one line naming the command, no source."""
    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"sklearn-mhr {command}: warning: {text} ({category.__name__})",
              file=sys.stderr if file is None else file)
    return show


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    run = importlib.import_module(f"._commands.{args.module}", __package__).run
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(args.command)
            return run(args)
    except (ValueError, TypeError, OSError, ArithmeticError, ImportError) as exc:
        message = _one_line(exc)
        print(f"sklearn-mhr {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"sklearn-mhr {args.command}: interrupted", file=sys.stderr)
        return 130
