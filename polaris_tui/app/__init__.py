"""The Polaris App: lifecycle, navigation, global keys, signals, error notices.

Kept small on purpose (STYLE #1): screens live in ``screens/``, panels in
``widgets/``. The App

* opens ``PolarisServices`` in its own loop (``on_mount``, in a worker), seeds
  the demo store first when asked, starts the hook server in demo mode, and
  closes everything on exit and on SIGHUP (an SSH session closing);
* re-broadcasts service events as ``textual.signal.Signal``s that screens
  subscribe to (``fleet_signal``, ``source_signal``, ``operation_signal``,
  ``card_signal``, ``scan_signal``, ``store_signal`` for other consoles' writes; ``ready_signal`` once services are open);
* runs every mutating request in an app-level worker (``run_mutation``): a
  worker on a modal or a closing screen would be cancelled mid-request;
* turns any failed worker into a visible notice (``report_worker``), with the
  title and message of the ``PolarisError``, never parsed as markup;
* runs on a driver that survives a bad terminal and exits when the terminal
  goes (``terminal.py``), and hands keys that arrive together to the screen
  one at a time, each where the keys before it put the focus (``typeahead.py``).

The plumbing is ``services_app.ServicesApp``; the console on top of it
(screens, keys, navigation) is ``polaris_app.PolarisApp``.
"""

from polaris_tui.app.polaris_app import PolarisApp, make_app
from polaris_tui.app.services_app import HookOptions, ServicesApp, ServicesFactory

__all__ = ["HookOptions", "PolarisApp", "ServicesApp", "ServicesFactory", "make_app"]
