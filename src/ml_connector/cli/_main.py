"""The ``ml-connector`` command line (also ``python -m ml_connector``).

Commands:

- ``demo``: the whole product on built-in simulators, no credentials, no network;
- ``ping``: check ShipStation V1/V2 and Oracle credentials, one line per system;
- ``sync``: post shipments (and customers, inventory) to Oracle, exactly once;
- ``replay``: re-map and re-post the records that failed;
- ``reconcile``: compare ShipStation, the audit trail and Oracle for a window;
- ``catalog``: check ShipStation's SKUs against Oracle's item master (read-only);
- ``init``: write a commented configuration and mapping template;
- ``config show``: the resolved configuration, secrets masked, and its file;
- ``completion``: a bash or zsh completion script;
- ``worker``, ``tenants``: many tenants on Procrastinate workers (extra ``postgres``).

Commands are thin wrappers over the library. Results go to stdout (``--json`` for one JSON
document, errors included), progress bars, log lines and errors to stderr. An error is one
line with its cause (add ``--debug`` for the traceback, and every request, OAuth token requests
included, with secrets masked). Exit codes: 0 success, 1 the run had failures (or a check
failed), 2 bad usage or configuration, 3 a system was unavailable (no response, timeout, 5xx,
throttled past every retry): nothing is wrong on our side, run again later.

Nothing the CLI prints carries a secret: its output streams pass through the library's one
scrubber (:mod:`ml_connector._redact`), whatever a server echoed back.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

import attrs

from ml_connector._errors import ConfigurationError, ConnectorError, is_outage
from ml_connector._redact import ScrubbingFilter, install_log_scrubbing, scrub_text
from ml_connector._version import __version__

from ._config import DEFAULT_CONFIG_NAME, CliConfig, CliConfigError, System, load_cli_config
from ._runtime import Runtime
from ._workers import WORKER_COMMANDS, add_worker_parsers

__all__ = ["EXIT_FAILURES", "EXIT_OK", "EXIT_OUTAGE", "EXIT_USAGE", "main"]

EXIT_OK = 0
"""Everything worked."""
EXIT_FAILURES = 1
"""The command ran but something failed (a record, a check, a system)."""
EXIT_USAGE = 2
"""Bad usage or configuration: nothing was attempted."""
EXIT_OUTAGE = 3
"""A system was unavailable (no response, timeout, 5xx, throttled past every retry), for
example Oracle during the preflight: nothing is wrong with the data or the configuration."""

CONFIG_ENV = "ML_CONNECTOR_CONFIG"
"""Environment variable naming the configuration file when ``--config`` is not given."""


class _UsageError(Exception):
    """Bad arguments found after parsing (argparse's own errors exit by themselves)."""


def _common(*, top: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command name."""
    parser = argparse.ArgumentParser(add_help=False)
    default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout (errors too)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show every request (OAuth token requests included, secrets masked) and "
        "tracebacks on errors",
    )
    _output_options(parser, default)
    return parser


def _output_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """Progress and log options (stderr only: stdout keeps the results)."""
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="errors only on stderr: no progress bar, no warnings",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default(0),
        help="more log lines: -v one per request, -vv debug",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        default=default(False),
        help="no progress bar (it is drawn only on a terminal anyway)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=default("text"),
        help="log lines as text (default) or JSON Lines, one object per record",
    )


def _with_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"configuration file (default: ${CONFIG_ENV}, else ./{DEFAULT_CONFIG_NAME} if "
        "present, else environment variables only)",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-connector",
        description="ShipStation shipments, orders and inventory into Oracle Fusion Cloud ERP.",
        parents=[_common(top=True)],
        epilog="Exit codes: 0 ok, 1 the run had failures, 2 usage or configuration error, "
        "3 a system was unavailable (try again later).",
    )
    parser.add_argument("--version", action="version", version=f"ml-connector {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_common(top=False)]

    demo = sub.add_parser(
        "demo",
        parents=common,
        help="run the whole flow on built-in simulators (no credentials)",
        description="Generate a realistic day of ShipStation orders and run the shipment, "
        "customer and inventory syncs into a simulated Oracle Fusion pod, with faults, a "
        "replay, a second run that posts nothing twice, and the reconciliation.",
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--orders", type=int, default=200, help="orders in the day (default 200)")
    demo.add_argument("--warehouses", type=int, default=3, help="warehouses (default 3)")
    demo.add_argument(
        "--workdir", type=Path, help="folder for the audit trail (default ./.ml-connector/demo-*)"
    )
    demo.add_argument("--no-faults", action="store_true", help="run without injected faults")

    ping = sub.add_parser(
        "ping",
        parents=common,
        help="check credentials and reachability of ShipStation and Oracle",
        description="One read-only request per system; pass/fail per system; no secret shown.",
    )
    _with_config(ping)
    ping.add_argument(
        "--system",
        action="append",
        choices=[s.value for s in System],
        help="check only this system (repeatable; default: all three)",
    )
    sync = sub.add_parser(
        "sync",
        parents=common,
        help="post ShipStation shipments into Oracle, exactly once",
        description="Sync a window (--day, or --since/--until), or from the checkpoint when "
        "no window is given. Every record ends in the audit trail as posted, already posted, "
        "skipped (with its reason) or failed (replayable).",
    )
    _with_config(sync)
    _with_window(sync)
    sync.add_argument(
        "--initial-start",
        metavar="ISO",
        help="with no window: where the first incremental run starts (ignored once a "
        "checkpoint exists)",
    )
    sync.add_argument(
        "--job",
        choices=("shipments", "customers", "inventory", "all"),
        default="shipments",
        help="what to sync (default shipments; all = customers, shipments, inventory)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="plan only: look everything up, write nothing (payloads in --json output)",
    )

    replay = sub.add_parser(
        "replay",
        parents=common,
        help="re-map and re-post failed records (never twice)",
        description="Select the records whose latest audit event is a failure and replay each "
        "with the job that owns its kind: shipment records are mapped again with today's "
        "configuration, inventory adjustments re-posted as planned; every posting key is "
        "looked up in Oracle first. The report is per job.",
    )
    _with_config(replay)
    replay.add_argument("--since", metavar="ISO", help="only failures at or after this time")
    replay.add_argument("--until", metavar="ISO", help="only failures before this time")
    replay.add_argument(
        "--error",
        action="append",
        default=[],
        metavar="KIND",
        help="only this error type or vendor code, e.g. ServerError or "
        "AR_BILL_TO_CUST_NOT_FOUND (repeatable)",
    )
    replay.add_argument(
        "--record",
        action="append",
        default=[],
        metavar="ID",
        help="only this record id: a ShipStation id, or an inventory adjustment's posting key "
        "(repeatable)",
    )
    replay.add_argument(
        "--dry-run", action="store_true", help="show what would be posted, with the diff"
    )

    reconcile = sub.add_parser(
        "reconcile",
        parents=common,
        help="compare ShipStation, the audit trail and Oracle for a window",
        description="Every record of the window with a reason code (ok, missing_in_oracle, "
        "posted_twice, amount_mismatch, customer_unmatched, voided_not_reversed, "
        "failed_awaiting_replay) and totals per warehouse and day. Read-only.",
    )
    _with_config(reconcile)
    _with_window(reconcile)
    reconcile.add_argument("--csv", type=Path, metavar="FILE", help="write every row as CSV")
    reconcile.add_argument(
        "--all-rows", action="store_true", help="with --json: every row, not only differences"
    )
    # -- catalog (issue 20: the catalog both sides share) --
    from ._catalog import add_catalog_parser

    add_catalog_parser(sub, common, _with_config, _with_window)
    add_worker_parsers(sub, common)  # worker, tenants (issue "Outgrowing one machine")
    _add_setup_commands(sub, common)
    return parser


# -- init, config show, completion (cli/_setup.py) -------------------------------------------


def _add_setup_commands(sub: Any, common: list[argparse.ArgumentParser]) -> None:
    init = sub.add_parser(
        "init",
        parents=common,
        help="write a commented ml-connector.toml and mapping.toml to start from",
        description="Write a commented configuration and mapping template into the working "
        "directory (or --dir). Existing files are kept unless --force.",
    )
    init.add_argument("--dir", type=Path, metavar="DIR", help="where to write (default: here)")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    config = sub.add_parser(
        "config",
        parents=common,
        help="show the configuration the commands would use (secrets masked)",
        description="config show: which file is read, every setting and where its value "
        "comes from (the file, a variable, a default), secrets masked.",
    )
    action = config.add_subparsers(dest="config_action", required=True, metavar="ACTION")
    show = action.add_parser("show", parents=common, help="print the resolved configuration")
    _with_config(show)
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script: eval "$(ml-connector completion bash)" in '
        "~/.bashrc (zsh: the same with zsh, in ~/.zshrc).",
    )
    completion.add_argument("shell", choices=("bash", "zsh"))


def _cmd_init(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._setup import run_init

    return run_init(runtime, args.dir, force=args.force, as_json=args.json)


def _cmd_config(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._setup import run_config_show

    config = _load(args, runtime, mapping=True)
    return run_config_show(config, runtime, as_json=args.json)


def _cmd_completion(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._setup import completion_script

    script = completion_script(_build_parser(), args.shell)
    if args.json:
        runtime.emit_json({"command": "completion", "ok": True, "script": script})
    else:
        runtime.stdout.write(script)
    return EXIT_OK


def _with_window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="one posting date: a calendar day in the mapping's [dates] zone (UTC unless set), "
        "also 'today' or 'yesterday'; reconcile reports the same dates",
    )
    parser.add_argument(
        "--since", metavar="ISO", help="window start, e.g. 2026-01-15T08:00:00Z (inclusive)"
    )
    parser.add_argument("--until", metavar="ISO", help="window end (exclusive; default: now)")


def _find_config(args: argparse.Namespace, runtime: Runtime) -> Path | None:
    given: Path | None = getattr(args, "config", None)
    if given is not None:
        return given if given.is_absolute() else runtime.cwd / given
    named = runtime.environ.get(CONFIG_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        return path if path.is_absolute() else runtime.cwd / path
    default = runtime.cwd / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def _load(args: argparse.Namespace, runtime: Runtime, *, mapping: bool) -> CliConfig:
    return load_cli_config(_find_config(args, runtime), mapping=mapping, cwd=runtime.cwd)


def _cmd_demo(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._demo import DemoOptions, run_demo

    if args.orders < 1 or args.warehouses < 1:
        raise _UsageError("--orders and --warehouses must be at least 1")
    options = DemoOptions(
        seed=args.seed,
        orders=args.orders,
        warehouses=args.warehouses,
        workdir=args.workdir,
        faults=not args.no_faults,
    )
    return run_demo(options, runtime, as_json=args.json)


def _cmd_ping(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._ping import ping, ping_exit_code, render_ping

    config = _load(args, runtime, mapping=False)
    systems = [System(s) for s in (args.system or [s.value for s in System])]
    checks = ping(config, runtime, dict.fromkeys(systems))
    if args.json:
        runtime.emit_json(
            {
                "command": "ping",
                "ok": all(c.ok for c in checks),
                "systems": [c.as_json() for c in checks],
            }
        )
    else:
        render_ping(checks, runtime)
    return ping_exit_code(checks)


def _cmd_sync(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._jobs import run_sync

    config = _load(args, runtime, mapping=True)
    return run_sync(
        config,
        runtime,
        job=args.job,
        initial_start=args.initial_start,
        day=args.day,
        since=args.since,
        until=args.until,
        dry_run=args.dry_run,
        as_json=args.json,
    )


def _cmd_replay(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._jobs import run_replay

    config = _load(args, runtime, mapping=True)
    return run_replay(
        config,
        runtime,
        since=args.since,
        until=args.until,
        errors=args.error,
        records=args.record,
        dry_run=args.dry_run,
        as_json=args.json,
    )


def _cmd_reconcile(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._jobs import run_reconcile

    config = _load(args, runtime, mapping=True)
    return run_reconcile(
        config,
        runtime,
        day=args.day,
        since=args.since,
        until=args.until,
        csv_path=args.csv,
        all_rows=args.all_rows,
        as_json=args.json,
    )


def _cmd_catalog(args: argparse.Namespace, runtime: Runtime) -> int:
    from ._catalog import run_catalog  # issue 20

    return run_catalog(_load(args, runtime, mapping=True), runtime, args)


_COMMANDS = {
    "demo": _cmd_demo,
    "ping": _cmd_ping,
    "sync": _cmd_sync,
    "replay": _cmd_replay,
    "reconcile": _cmd_reconcile,
    "catalog": _cmd_catalog,
    **WORKER_COMMANDS,
    "init": _cmd_init,
    "config": _cmd_config,
    "completion": _cmd_completion,
}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text


@contextlib.contextmanager
def _logging(runtime: Runtime, *, quiet: bool) -> Iterator[None]:
    """Library log lines on stderr while the command runs (the library installs no handler).

    Warnings (retries, rate-limit waits) by default, each one line, above any progress bar,
    and one grouped line at the end (``retried 87 requests: 429 x 40, 503 x 47``); one line
    per request with ``-v``; debug with ``-vv`` or ``--debug``; errors only with ``-q`` and
    for the demo, whose faults are injected on purpose.
    """
    from ._console import LogHandler

    install_log_scrubbing()
    logger = logging.getLogger("ml_connector")
    handler = LogHandler(runtime.console(), json_lines=runtime.log_json)
    # Every record reaching the CLI's handler is scrubbed, whichever logger it came from.
    handler.addFilter(ScrubbingFilter())
    verbosity = runtime.verbosity
    if quiet and verbosity == 0:
        verbosity = -1
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler.setLevel(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        grouped = handler.grouped()
        if grouped is not None and verbosity >= 0 and not runtime.log_json:
            runtime.console().print(grouped, markup=False, highlight=False, soft_wrap=True)


def _configure(args: argparse.Namespace, runtime: Runtime) -> None:
    """Apply the output options to the runtime."""
    if args.quiet or args.no_progress or args.log_format == "json":
        runtime.progress = False
    runtime.verbosity = -1 if args.quiet else max(args.verbose, 2 if args.debug else 0)
    runtime.log_json = args.log_format == "json"


def _run(argv: Sequence[str] | None, runtime: Runtime) -> int:
    """Parse ``argv`` and run the command against ``runtime``; returns the exit code.

    The testing seam: tests pass a :class:`Runtime` with string streams, a dict environment,
    a virtual clock and simulator transports.

    With ``--json`` stdout is never empty: a command that ends in an error (usage,
    configuration, a failure before its document) prints ``{"ok": false, "error": ...}``.
    """
    parser = _build_parser()
    wants_json = "--json" in (sys.argv[1:] if argv is None else argv)
    runtime = attrs.evolve(
        runtime, stdout=_scrubbed(runtime.stdout), stderr=_scrubbed(runtime.stderr)
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if wants_json and code != EXIT_OK:
            runtime.emit_json(
                {"command": None, "ok": False, "exit_code": code, "error": "bad usage (see stderr)"}
            )
        raise
    _configure(args, runtime)
    with _logging(runtime, quiet=args.command == "demo"):
        code = _dispatch(args, runtime)
    if args.json and not runtime.emitted:
        runtime.emit_json(
            {
                "command": args.command,
                "ok": False,
                "exit_code": code,
                "error": runtime.last_error(),
            }
        )
    return code


class _ScrubbedStream(io.TextIOBase):
    """A text stream that scrubs every write before passing it on (text and JSON alike)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        # Every error text was fully scrubbed when it was made; here known secrets, tokens and
        # URL credentials are masked once more, whatever path a text took to the output.
        self.inner.write(scrub_text(text, pairs=False))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        isatty = getattr(self.inner, "isatty", None)
        return bool(isatty()) if callable(isatty) else False


def _scrubbed(stream: TextIO) -> TextIO:
    if isinstance(stream, _ScrubbedStream):
        return cast(TextIO, stream)
    return cast(TextIO, _ScrubbedStream(stream))


def _dispatch(args: argparse.Namespace, runtime: Runtime) -> int:
    try:
        return _COMMANDS[args.command](args, runtime)
    except (_UsageError, CliConfigError, ConfigurationError) as exc:
        if args.debug:
            raise
        runtime.warn(f"ml-connector: error: {_one_line(exc)}")
        return EXIT_USAGE
    except ConnectorError as exc:
        if args.debug:
            raise
        if is_outage(exc):
            runtime.warn(
                f"ml-connector: unavailable: {type(exc).__name__}: {_one_line(exc)} "
                "(nothing is wrong with the configuration; run again once it is back)"
            )
            return EXIT_OUTAGE
        runtime.warn(f"ml-connector: error: {type(exc).__name__}: {_one_line(exc)}")
        return EXIT_FAILURES
    except KeyboardInterrupt:
        runtime.warn("ml-connector: interrupted")
        return 130
    except Exception as exc:  # one clear line instead of a traceback, unless --debug
        if args.debug:
            raise
        runtime.warn(
            f"ml-connector: unexpected error: {type(exc).__name__}: {_one_line(exc)} "
            "(run again with --debug for the traceback)"
        )
        return EXIT_FAILURES


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on the real process (stdout, stderr, environment, network).

    Returns:
        The exit code: 0 success, 1 failures during the run, 2 usage or configuration error,
        3 a system was unavailable.
    """
    runtime = Runtime(stdout=sys.stdout, stderr=sys.stderr, environ=os.environ)
    return _run(argv, runtime)
