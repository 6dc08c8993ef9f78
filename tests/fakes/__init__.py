"""Fakes of the services and clients the screens and services call.

One place for every in-memory stand-in used by more than one test module:

* ``steve.FakeSteve`` — the SteVe client (fleet reads, tag edits, remote
  operations), with call records and failure switches;
* ``services`` — ``FakeServices`` and its parts (fleet, poller, operations),
  the names of ``PolarisServices`` over hand-built rows, for screen tests.

The real clients and services are tested against the stand-in (``chargesim``)
over HTTP; these fakes are for cases that are hard to stage there.
"""
