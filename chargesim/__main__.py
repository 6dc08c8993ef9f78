"""``python -m chargesim``: run the stand-in for SteVe and Lago.

With ``--json`` exactly one JSON line goes to stdout once both listeners are up
(``steve_url``, ``lago_url``, ``control_url`` and the credentials); otherwise
the same as readable lines. Serves until SIGTERM/SIGINT, or — with
``--exit-with-parent`` — until the process that started it is gone.

The hook's HMAC key never comes from the command line, which every user of
the host can read (``ps``, ``/proc/*/cmdline``): it comes from the
``CHARGESIM_HOOK_KEY`` environment variable or ``--hook-key-file``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from .clock import parse_iso
from .options import SimOptions

if TYPE_CHECKING:
    from .server import SimServer

log = logging.getLogger("chargesim")

_COLLECTOR = {"paused": False}
"""Whether main() paused the cyclic collector (serve() resumes it once listening)."""

HOOK_KEY_ENV = "CHARGESIM_HOOK_KEY"
"""Environment variable holding the pre-authorize hook's HMAC key."""


def _iso(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {text!r}") from exc


def _delay(text: str) -> tuple[float, float]:
    low, _, high = text.partition(":")
    try:
        return float(low), float(high or low)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected SECONDS or MIN:MAX") from exc


def parser(prog: str = "chargesim") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Stand-in for SteVe (OCPP 1.6) and Lago.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="SteVe's port (0 = a free port)")
    p.add_argument("--aux-port", type=int, default=0, help="Lago + control port (0 = a free port)")
    p.add_argument("--chargers", type=int, default=12, help="fleet size (12 = the demo fleet)")
    p.add_argument(
        "--seed", type=int, default=1, help="seed of the scaled fleet and station delays"
    )
    p.add_argument("--now", type=_iso, help="start the clock at this ISO-8601 instant")
    p.add_argument(
        "--frozen", action="store_true", help="freeze the clock (advance via the control endpoint)"
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON line with URLs and credentials"
    )
    p.add_argument(
        "--exit-with-parent", action="store_true", help="exit when the parent process dies"
    )
    p.add_argument(
        "--hook-url", help="pre-authorize hook URL (called on every Authorize/StartTransaction)"
    )
    p.add_argument(
        "--hook-key-file",
        metavar="PATH",
        help=f"file holding the hook's HMAC key (or set {HOOK_KEY_ENV}; never on the command line)",
    )
    p.add_argument("--hook-key", help=argparse.SUPPRESS)  # refused: see hook_key()
    p.add_argument(
        "--fault", action="append", default=[], metavar="NAME[:ARG]", help="apply a fault at start"
    )
    p.add_argument(
        "--station-timeout", type=float, default=30.0, help="seconds an operation waits (SteVe: 30)"
    )
    p.add_argument(
        "--station-delay",
        type=_delay,
        default=(0.05, 0.2),
        metavar="MIN:MAX",
        help="a healthy station answers after MIN..MAX seconds",
    )
    p.add_argument("--log-level", default="WARNING", help="logging level on stderr")
    return p


def hook_key(args: argparse.Namespace) -> str | None:
    """The hook's key from ``--hook-key-file`` or ``CHARGESIM_HOOK_KEY``.

    Raises:
        SystemExit: ``--hook-key`` was given (a secret in argv is readable by
            every user), or the key file cannot be read.
    """
    if args.hook_key is not None:
        raise SystemExit(
            f"chargesim: --hook-key would show the key to every user (ps); "
            f"set {HOOK_KEY_ENV} or use --hook-key-file instead"
        )
    if args.hook_key_file:
        try:
            with open(args.hook_key_file, encoding="utf-8") as handle:
                return handle.read().strip() or None
        except OSError as exc:
            raise SystemExit(f"chargesim: cannot read the hook key file: {exc.strerror}") from None
    return os.environ.get(HOOK_KEY_ENV) or None


def options_from(args: argparse.Namespace) -> SimOptions:
    return SimOptions(
        host=args.host,
        port=args.port,
        aux_port=args.aux_port,
        chargers=args.chargers,
        seed=args.seed,
        now=args.now,
        frozen=args.frozen,
        hook_url=args.hook_url,
        hook_key=hook_key(args),
        faults=list(args.fault),
        station_timeout_seconds=args.station_timeout,
        station_delay=args.station_delay,
        exit_with_parent=args.exit_with_parent,
    )


async def serve(options: SimOptions, *, as_json: bool, parent: int | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Handlers first: a signal right after the announcement must stop us cleanly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = _server(options)
    await server.start()
    info = server.info()
    if as_json:
        sys.stdout.write(json.dumps(info) + "\n")
    else:
        sys.stdout.write(
            "chargesim is running\n"
            f"  SteVe REST     {info['steve_url']}/api/v1   (Basic {info['steve_user']} / {info['steve_password']})\n"
            f"  SteVe manager  {info['steve_url']}/manager   ({info['web_user']} / {info['web_password']})\n"
            f"  OCPP-J         {info['steve_url'].replace('http', 'ws', 1)}/websocket/CentralSystemService/<id>\n"
            f"  Lago           {info['lago_url']}/api/v1   (Bearer {info['lago_key']})\n"
            f"  control        {info['control_url']}\n"
        )
    sys.stdout.flush()
    if _COLLECTOR["paused"]:  # by main(), for the start
        _COLLECTOR["paused"] = False
        # What the start built (modules, the world, the apps) lives as long as
        # we serve, and it made almost no garbage: a full collection here cost
        # ~30 ms of CPU while the demo console starts beside us. Freeze it out
        # of every later pass instead.
        gc.freeze()
        gc.enable()
    watcher = None
    if options.exit_with_parent:
        watcher = loop.create_task(
            _watch_parent(stop, parent if parent is not None else os.getppid())
        )
    try:
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await server.stop()


def _server(options: SimOptions) -> SimServer:
    from .quick_import import ca_loads_skipped

    with ca_loads_skipped():
        from .server import SimServer  # after main() paused the collector

    return SimServer(options)


async def _watch_parent(stop: asyncio.Event, parent: int) -> None:
    """Exit when the parent is gone (re-parented to init or a subreaper).

    ``parent`` is read when the process starts, so a parent that dies while
    the server is still starting is noticed too.
    """
    while True:
        if os.getppid() != parent:
            log.warning("parent process %s is gone; exiting", parent)
            stop.set()
            return
        await asyncio.sleep(0.5)


def main(argv: list[str] | None = None, *, prog: str = "chargesim") -> int:
    """Entry point of ``python -m chargesim``, the ``chargesim`` script and ``polaris sim``."""
    parent = os.getppid()
    # The collector rests until we listen: importing aiohttp and building the
    # world makes long-lived objects, not garbage, and its passes over them
    # cost the demo's start ~15 % of the stand-in's CPU (startup_gc.py in
    # polaris_tui does the same for the console). serve() turns it back on.
    if gc.isenabled():
        gc.disable()
        _COLLECTOR["paused"] = True
    args = parser(prog).parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        asyncio.run(serve(options_from(args), as_json=args.json, parent=parent))
    except OSError as exc:
        print(f"chargesim: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
