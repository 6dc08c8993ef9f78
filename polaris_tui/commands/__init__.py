"""Read-only scripting commands for cron and monitoring (``polaris fleet|stuck|ops|card``).

They open the same services as the console, ask SteVe once (a poll cycle or
two), print a table or ``--json`` and exit. Nothing here submits an operation
or edits a card. Exit status: 0 fine, 1 ``polaris stuck`` found a stuck
session, 2 an error (bad settings, SteVe unreachable, unknown command use).
Entry point: ``polaris_tui.commands.run.run_command`` (called by ``cli.main``).
"""
