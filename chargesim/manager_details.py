"""SteVe's charge point details page (``/manager/chargepoints/details/{pk}``).

Vanilla SteVe's REST API has no charge point endpoint, so what a station
said in its BootNotification (vendor, model, serial numbers, firmware,
ICCID, IMSI, meter) is only on this manager page: an "OCPP" table of
``<tr><td>Label:</td><td>value</td></tr>`` rows, the registration status as
the selected option of a ``<select>``. Empty values are empty cells.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

REGISTRATION = ("Accepted", "Pending", "Rejected")


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return html.escape("" if value is None else str(value), quote=True)


def render_details(box: Any, heartbeat: datetime | None, ctx: str) -> str:
    """The OCPP table of one charge box (the form's other fields left out)."""
    rows = [
        ("Endpoint Address", box.endpoint_address),
        ("Ocpp Protocol", box.ocpp_protocol),
        ("Charge Point Vendor", box.vendor),
        ("Charge Point Model", box.model),
        ("Charge Point Serial Number", box.charge_point_serial),
        ("Charge Box Serial Number", box.charge_box_serial),
        ("Firmware Version", box.firmware),
        ("Firmware Update Timestamp", None),
        ("Iccid", box.iccid),
        ("Imsi", box.imsi),
        ("Meter Type", box.meter_type),
        ("Meter Serial Number", box.meter_serial),
        ("Diagnostics Status", None),
        ("Diagnostics Timestamp", None),
        ("Last Heartbeat Timestamp", heartbeat),
        ("CPO Name", None),
    ]
    options = "".join(
        f'<option value="{s}"{" selected=" + chr(34) + "selected" + chr(34) if s == box.registration_status else ""}>{s}</option>'
        for s in REGISTRATION
    )
    body = "".join(f"<tr><td>{label}:</td><td>{_cell(value)}</td></tr>\n" for label, value in rows)
    return (
        f'<form id="chargePointForm" action="{ctx}/manager/chargepoints/update" method="post">\n'
        f'<input id="chargeBoxPk" name="chargeBoxPk" type="hidden" value="{box.pk}"/>\n'
        '<table class="userInput">\n<thead><tr><th>OCPP</th><th></th></thead>\n<tbody>\n'
        f'<tr><td>ChargeBox ID:</td><td><input id="chargeBoxId" name="chargeBoxId" readonly="readonly" '
        f'type="text" value="{_cell(box.charge_box_id)}"/></td></tr>\n'
        + body
        + f'<tr><td>Registration status:</td><td><select id="registrationStatus" '
        f'name="registrationStatus">{options}</select></td></tr>\n'
        "</tbody>\n</table>\n</form>"
    )
