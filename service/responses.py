"""The app's Response class: money (Decimal) goes out as a JSON number, as the spec pins."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Response
from litestar.serialization.msgspec_hooks import default_serializer
from litestar.types import Serializer

T = TypeVar("T")


# One encoder for every JSON response. Litestar hands ``render`` a new
# ``partial(default_serializer, type_encoders={...})`` per response (its plugins' pydantic encoders
# in a fresh dict each time); an encoder cached per hook was one encoder per response kept for
# ever, a leak whose growth made the cyclic collector's full passes stall requests for hundreds of
# milliseconds. jointip registers no type encoders and returns no pydantic models, so Litestar's
# default serializer is all a response needs.
_JSON = msgspec.json.Encoder(enc_hook=default_serializer, decimal_format="number")
_NUMBERS = msgspec.json.Encoder(decimal_format="number")


def json_text(value: Any) -> str:
    """JSON text with Decimals as numbers, for JSONB columns (read back exactly into Decimal Structs)."""
    return _NUMBERS.encode(value).decode()


class JsonResponse(Response[T]):
    """Litestar renders Decimal as a JSON string; the API promises numbers (``"fee": 1500.00``)."""

    def render(self, content: Any, media_type: str, enc_hook: Serializer = default_serializer) -> bytes:
        if media_type == "application/json" or media_type.endswith("+json"):
            if isinstance(content, bytes):
                return content
            return _JSON.encode(content)
        if content is None:  # HEAD and 304: headers only, whatever the media type
            return b""
        return super().render(content, media_type, enc_hook)
