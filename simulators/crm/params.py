"""The CRM's declared parameters, and Salesforce's words for one that is wrong."""

from __future__ import annotations

from typing import Any

from simulators.crm import errors as E
from simulators.crm.context import DATA, RELEASES
from simulators.crm.schema import STANDARD_OBJECTS
from simulators.crm.wire import parse_datetime
from simulators.engine.params import Enum, Param, ParamError, Str


def param_error(e: ParamError) -> E.SfError:
    """Salesforce answers 400 with the parameter named in the message."""
    if e.reason == "missing":
        return E.bad_request("MISSING_ARGUMENT", f"{e.param} was not specified")
    if e.reason == "too_many_items":
        return E.bad_request("EXCEEDED_ID_LIMIT", f"Too many {e.param}: at most {e.maximum}")
    if e.reason == "not_integer":
        return E.bad_request(E.INVALID_INPUT, f"{e.param} must be an integer: {e.value}")
    if e.message:
        return E.bad_request(E.INVALID_INPUT, e.message)
    return E.bad_request(E.INVALID_INPUT, f"Invalid value for {e.param}: {e.value}")


class DateTime(Param):
    """An ISO 8601 dateTime (``Z``, ``+00:00`` or ``+0000``); kept as given text."""

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or parse_datetime(value) is None:
            raise ParamError("invalid", path, value,
                             message=f"{path} is not a valid dateTime: {value}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


# Path parameters. The version's values are checked by the pipeline (a retired one is 410,
# an unknown one 404, as Salesforce answers); sObject names by the
# handlers (an org may have more than the standard objects).
VERSION = Enum(values=tuple(RELEASES), description="API version, e.g. 59.0")

# Any name (the handler answers NOT_FOUND for an object the org lacks); documented as the
# standard objects.
SOBJECT = Str(min_length=1, known=tuple(o.name for o in STANDARD_OBJECTS))
ID = Str(min_length=1, description="15- or 18-character id")
NAME = Str(min_length=1)
D = f"{DATA}/v{{version}}"
