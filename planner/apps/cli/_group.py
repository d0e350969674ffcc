"""The `planner` command group: error handling and the -v/-q/--debug options."""

from __future__ import annotations

import logging

import click

from planner._version import __version__
from planner.errors import PlannerError, SolverError

log = logging.getLogger("planner")


def configure_logging(ctx: click.Context, *, verbose: int = 0, quiet: bool = False) -> None:
    """Apply -v/-q (given before or after the subcommand) to the planner's logging."""
    obj = ctx.ensure_object(dict)
    obj["verbose"] = max(obj.get("verbose", 0), verbose)
    obj["quiet"] = bool(obj.get("quiet")) or quiet
    if obj["quiet"]:
        level = logging.ERROR
    else:
        level = [logging.WARNING, logging.INFO, logging.DEBUG][min(obj["verbose"], 2)]
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)


def _verbosity_callback(ctx: click.Context, param: click.Parameter, value) -> None:
    if param.name == "verbose" and value:
        configure_logging(ctx, verbose=value)
    elif param.name == "quiet" and value:
        configure_logging(ctx, quiet=True)


def verbosity_options(func):
    """-v/-q on a subcommand too (``planner batch FILE -q``), same meaning as on the group."""
    func = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True,
                        callback=_verbosity_callback,
                        help="Only errors and the final summary.")(func)
    return click.option("-v", "--verbose", count=True, expose_value=False, is_eager=True,
                        callback=_verbosity_callback,
                        help="More detail (-vv for debugging output).")(func)


def is_quiet(ctx: click.Context) -> bool:
    return bool((ctx.obj or {}).get("quiet"))


def verbosity(ctx: click.Context) -> int:
    return int((ctx.obj or {}).get("verbose", 0))


class _PlannerGroup(click.Group):
    """Turns the planner's own errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PlannerError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(f"Error: {exc}", err=True, fg="red")  # one line: easy to grep
            ctx.exit(1 if isinstance(exc, SolverError) else 2)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort, KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho("Error: out of memory; try fewer places (--aggregate grid:200), fewer "
                        "thresholds or --no-per-station", err=True, fg="red")
            ctx.exit(1)
        except OSError as exc:  # disk full, permission denied...: the system's words
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = f": {exc.filename}" if exc.filename else ""
            click.secho(f"Error: {exc.strerror or exc}{where}", err=True, fg="red")
            ctx.exit(1)
        except Exception as exc:  # a bug: one line, the traceback only with --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(f"Internal error ({type(exc).__name__}: {exc}). This is a bug in "
                        "planner; run again with --debug for the traceback and report it.",
                        err=True, fg="red")
            ctx.exit(70)  # EX_SOFTWARE


@click.group(cls=_PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
@click.option("-v", "--verbose", count=True, help="More detail (-vv for debugging output).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Plan rest stations for delivery riders: 15-minute coverage on real street networks.

    \b
    Start with the bundled sample district:
      planner networks                 list the bundled sample districts
      planner coverage                 check 15-minute coverage in Wudaokou, Beijing
      planner coverage --mode walk --minutes 10,15 --close S2
      planner propose --mode walk -k 3     where should 3 new stations go?
      planner scenario run scenarios/wudaokou.toml
      planner batch batches/samples.toml   many districts on Dask
      planner doctor -s my-stations.csv    what is wrong with my layers?
    Every command has --help.
    """
    ctx.obj = {"debug": debug, "quiet": False, "verbose": 0}
    configure_logging(ctx, verbose=verbose, quiet=quiet)


def add_verbosity(command: click.Command) -> click.Command:
    names = {p.name for p in command.params}
    if "quiet" not in names and "verbose" not in names:
        verbosity_options(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_verbosity(sub)
    return command

