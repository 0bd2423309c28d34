"""The REST routes with a body, read from the services' google.api.http rules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Route:
    verb: str
    pattern: re.Pattern[str]
    request_type: type[Message]


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
                found.append(Route(verb.upper(), pattern, message_factory.GetMessageClass(method.input_type)))
    return found


def check(routes: list[Route], verb: str, path: str, body: bytes) -> str | None:
    """None when the body is the request message in JSON, else what is wrong with it."""
    route = next((r for r in routes if r.verb == verb and r.pattern.match(path.split("?", 1)[0])), None)
    if route is None:
        return None
    try:
        json.loads(body or b"{}")
    except ValueError as error:
        return f"the body is not JSON: {error}"
    try:
        json_format.Parse(body or b"{}", route.request_type(), ignore_unknown_fields=False)
    except json_format.ParseError as error:
        return str(error).splitlines()[0]
    return None
