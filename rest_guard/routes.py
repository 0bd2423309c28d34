"""The REST routes with a body, read from the services' google.api.http rules, and the check
of a body against its route's request message."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, ServiceDescriptor
from google.protobuf.message import Message

from rest_guard.shape import body_problem

VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Route:
    verb: str
    pattern: re.Pattern[str]
    request_type: type[Message]
    message: Descriptor


def routes_of(services: list[ServiceDescriptor]) -> list[Route]:
    """Every http rule that carries a body (`body: "*"`): the ones a client can get wrong."""
    found = []
    for service in services:
        for method in service.methods:
            rule: http_pb2.HttpRule = method.GetOptions().Extensions[annotations_pb2.http]
            verb = rule.WhichOneof("pattern")
            if verb in VERBS and rule.body == "*":
                template = getattr(rule, verb)
                pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
                request_type = message_factory.GetMessageClass(method.input_type)
                found.append(Route(verb.upper(), pattern, request_type, method.input_type))
    return found


def check(routes: list[Route], verb: str, path: str, body: bytes) -> str | None:
    """None when the body is the request message in JSON, else what is wrong with it."""
    route = next((r for r in routes if r.verb == verb and r.pattern.match(path.split("?", 1)[0])), None)
    if route is None:
        return None
    try:
        parsed = _json_value(body or b"{}")
    except ValueError as error:
        return str(error)
    problem = body_problem(parsed, route.message)
    if problem is not None:
        return problem
    try:
        json_format.Parse(body or b"{}", route.request_type(), ignore_unknown_fields=False)
    except json_format.ParseError:
        # The shape check above names what it finds; protobuf's words would be Python's.
        return f"the body is not a {route.message.name} in JSON"
    return None


def _json_value(body: bytes) -> object:
    """The body's JSON value, or ValueError saying to a client why there is none."""
    try:
        return json.loads(body.decode(), parse_constant=_not_json)
    except UnicodeDecodeError:
        raise ValueError("the body is not JSON: it is not UTF-8 text") from None
    except RecursionError:
        # Python's JSON parser recurses per nesting level; no request message nests this deep.
        raise ValueError("the body is nested too deeply to be a request") from None
    except ValueError as error:
        raise ValueError(f"the body is not JSON: {error}") from None


def _not_json(constant: str) -> object:
    """Python's parser takes NaN and Infinity; JSON has no such values."""
    raise ValueError(f"{constant} is not a JSON value")
