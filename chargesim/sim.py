"""The stand-in's runtime: make a world, reset it, close it.

These are the steps that reach past the world's state into the faults and
the OCPP-J links (and the demo fleet), so they live above all of them:
``world.World`` stays a plain state holder that every module may act on
without importing each other in a circle.
"""

from __future__ import annotations

from . import demo, faults, ocppj
from .options import SimOptions
from .world import World


def new_world(options: SimOptions) -> World:
    """A world with the demo fleet (scaled by ``options.chargers``)."""
    return World(options, demo.build, demo_faults=tuple(demo.DEMO_FAULTS))


async def reset(world: World) -> None:
    """Back to the demo fleet as at start-up (start-up faults re-applied)."""
    world.cancel_background()
    await ocppj.close_all(world)
    await world.central.hook.close()
    if world.server is not None and world.server.steve_down:
        await world.server.go_up()
    world.rebuild()
    for spec in world.options.faults:
        await faults.apply(world, spec)


async def close(world: World) -> None:
    """Stop background work, OCPP-J links and the hook client."""
    world.cancel_background()
    frozen = world.degraded["steve"].pop("freeze", None)
    if frozen is not None:
        frozen.set()  # a frozen SteVe's held requests end with the stand-in
    await ocppj.close_all(world)
    await world.central.hook.close()


__all__ = ["close", "new_world", "reset"]
