"""Who is at the keyboard, and what they may do (issue 10, "who is who").

The name is the OS login running the console (``SUDO_USER`` behind sudo; see
``settings.os_login``); only the demo takes ``--operator``. The role lives in
the store's ``operators`` table: the config's admins seed it once, while it
is empty, and ``polaris operators grant`` changes it after that. A store with
no operators at all (no admins configured) keeps the config's lists.
"""

from __future__ import annotations

import logging
from typing import Any

from polaris_tui.models import Operator, Role
from polaris_tui.models.errors import StoreError

log = logging.getLogger(__name__)


async def resolve_operator(store: Any, settings: Any) -> Operator:
    """The operator of this session, its role read from the store.

    ``settings.operator.readonly`` (``--readonly``) makes anyone a viewer, and
    so does a read-only database login (``polaris_viewer``).
    """
    config = settings.operator
    if store.writable:  # a read-only database login leaves that to an admin's console
        try:
            seeded = await store.seed_admins(config.admins)
        except StoreError as exc:
            log.warning("cannot seed the first admins from the config: %s", exc)
        else:
            if seeded:
                log.info("first admins of this store, from the config: %s", ", ".join(seeded))
    roles = await store.operator_roles()
    if roles:
        role = roles.get(config.name, Role.VIEWER)
    else:
        role = config.resolve().role
    if config.readonly:
        role = Role.VIEWER
    if not store.writable and role != Role.VIEWER:
        # The database login itself may only read: the console must not offer
        # what the database would refuse.
        log.warning(
            "%s is %s in the store, but this database login is read-only: viewer",
            config.name,
            role.value,
        )
        role = Role.VIEWER
    return Operator(name=config.name, role=role)
