"""jwtfort's exceptions: one class per group of error codes, and per common code.

Every exception is a :class:`JWTError`, itself a :class:`ValueError`, with ``.code``, the stable
wire name of the C++ ``errc`` (``"expired"``, ``"invalid_signature"``...; docs/errors.md lists
them all) and ``.message``, the precise reason for a human, which never holds a token or key
material. Catch a group to decide what to do, and read ``.code`` for the detail::

    try:
        token = verifier.verify(text)
    except ExpiredToken:
        ...  # ask for a refresh
    except InvalidToken as e:
        log.info("rejected: %s", e.code)

The hierarchy::

    JWTError (ValueError)
    ├── InvalidToken               the token must not be trusted (codes 1xx to 4xx)
    │   ├── MalformedToken         not a well-formed JWS/JWT (1xx)
    │   │   └── InvalidClaim       a claim of the wrong type or range, or a refused extra claim
    │   ├── InvalidSignature
    │   ├── AlgorithmNotAllowed    also for algorithms jwtfort does not implement (none, ...)
    │   ├── UnknownKey             no key for the token's kid and alg
    │   ├── InvalidIssuer, InvalidAudience, MissingClaim, MissingToken
    │   ├── ExpiredToken
    │   ├── ImmatureToken          not valid yet, or issued in the future
    │   ├── RevokedToken           revoked, or a spent refresh token presented again
    │   └── WrongTokenType, FreshTokenRequired, InsufficientScope
    ├── Unavailable                try again later (5xx)
    │   └── StoreUnavailable, JWKSUnavailable
    └── ConfigurationError         the application's keys or settings are wrong (6xx)
        └── InvalidKey
            └── WeakKey
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Final

__all__ = [
    "AlgorithmNotAllowed",
    "ConfigurationError",
    "ExpiredToken",
    "FreshTokenRequired",
    "ImmatureToken",
    "InsufficientScope",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidIssuer",
    "InvalidKey",
    "InvalidSignature",
    "InvalidToken",
    "JWKSUnavailable",
    "JWTError",
    "MalformedToken",
    "MissingClaim",
    "MissingToken",
    "RevokedToken",
    "StoreUnavailable",
    "Unavailable",
    "UnknownKey",
    "WeakKey",
    "WrongTokenType",
    "error_class",
]


class JWTError(ValueError):
    """Any jwtfort error. ``code`` is the wire name, ``message`` the reason.

    A class named after one code (``ExpiredToken``) can be raised without arguments; a group
    class (``InvalidToken``) needs ``code=``.
    """

    default_code: ClassVar[str | None] = None
    code: str
    message: str

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        code = code or type(self).default_code
        if code is None:
            raise TypeError(f"{type(self).__name__} needs a code")
        self.code = code
        self.message = message or code.replace("_", " ")
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"

    def __reduce__(self) -> tuple[Callable[..., JWTError], tuple[type[JWTError], str, str]]:
        # The default pickling of exceptions replays positional arguments only, losing `code`.
        return (_restore, (type(self), self.message, self.code))


class InvalidToken(JWTError):
    """The token must not be trusted: malformed, rejected, outside its time window, or not
    accepted for this use."""


class MalformedToken(InvalidToken):
    """Not a well-formed compact JWS/JWT: segments, base64url, JSON, size or header shape."""

    default_code = "malformed_token"


class InvalidClaim(MalformedToken):
    """A claim has the wrong type or range; also an extra claim the token service refuses."""

    default_code = "invalid_claim"


class InvalidSignature(InvalidToken):
    default_code = "invalid_signature"


class AlgorithmNotAllowed(InvalidToken):
    """The token's ``alg`` is not in the allow-list, or is not a JWS algorithm at all."""

    default_code = "algorithm_not_allowed"


class UnknownKey(InvalidToken):
    """No key matches the token's ``kid`` and ``alg``."""

    default_code = "unknown_key"


class InvalidIssuer(InvalidToken):
    default_code = "invalid_issuer"


class InvalidAudience(InvalidToken):
    default_code = "invalid_audience"


class MissingClaim(InvalidToken):
    default_code = "missing_claim"


class MissingToken(InvalidToken):
    default_code = "missing_token"


class ExpiredToken(InvalidToken):
    default_code = "expired"


class ImmatureToken(InvalidToken):
    """Before ``nbf``, or ``iat`` in the future (beyond the leeway)."""

    default_code = "not_yet_valid"


class RevokedToken(InvalidToken):
    """Revoked; ``code == "token_reused"`` when a spent refresh token came back."""

    default_code = "revoked"


class WrongTokenType(InvalidToken):
    default_code = "wrong_token_type"


class FreshTokenRequired(InvalidToken):
    default_code = "fresh_token_required"


class InsufficientScope(InvalidToken):
    default_code = "insufficient_scope"


class Unavailable(JWTError):
    """A dependency cannot answer now; never to be read as "not revoked"."""


class StoreUnavailable(Unavailable):
    default_code = "store_unavailable"


class JWKSUnavailable(Unavailable):
    default_code = "jwks_unavailable"


class ConfigurationError(JWTError):
    """The application's own keys or settings are wrong."""

    default_code = "invalid_configuration"


class InvalidKey(ConfigurationError):
    default_code = "invalid_key"


class WeakKey(InvalidKey):
    """HMAC secret shorter than the hash, RSA modulus below 2048 bits, bad exponent."""

    default_code = "weak_key"


# The one table from wire names to classes, for every code of docs/errors.md.
_BY_CODE: Final[Mapping[str, type[JWTError]]] = {
    # malformed (1xx)
    "malformed_token": MalformedToken,
    "token_too_large": MalformedToken,
    "invalid_base64": MalformedToken,
    "invalid_json": MalformedToken,
    "duplicate_member": MalformedToken,
    "json_too_complex": MalformedToken,
    "invalid_header": MalformedToken,
    "invalid_claim": InvalidClaim,
    "invalid_authorization_header": MalformedToken,
    # rejected (2xx)
    "unsupported_algorithm": AlgorithmNotAllowed,
    "algorithm_not_allowed": AlgorithmNotAllowed,
    "unknown_key": UnknownKey,
    "key_algorithm_mismatch": UnknownKey,
    "invalid_signature": InvalidSignature,
    "unsupported_header": InvalidToken,
    "invalid_critical_header": InvalidToken,
    "invalid_type": InvalidToken,
    "invalid_issuer": InvalidIssuer,
    "invalid_audience": InvalidAudience,
    "missing_claim": MissingClaim,
    "missing_token": MissingToken,
    "csrf_failed": InvalidToken,
    "invalid_credentials": InvalidToken,
    # time (3xx)
    "expired": ExpiredToken,
    "not_yet_valid": ImmatureToken,
    "issued_in_future": ImmatureToken,
    # forbidden (4xx)
    "revoked": RevokedToken,
    "token_reused": RevokedToken,
    "wrong_token_type": WrongTokenType,
    "fresh_token_required": FreshTokenRequired,
    "insufficient_scope": InsufficientScope,
    # unavailable (5xx)
    "store_unavailable": StoreUnavailable,
    "jwks_unavailable": JWKSUnavailable,
    "too_many_attempts": Unavailable,
    # misconfigured (6xx)
    "invalid_key": InvalidKey,
    "weak_key": WeakKey,
    "invalid_configuration": ConfigurationError,
    "internal_error": JWTError,
}

# A code newer than this table still lands in its group.
_BY_GROUP: Final[Mapping[int, type[JWTError]]] = {
    1: MalformedToken,
    2: InvalidToken,
    3: InvalidToken,
    4: InvalidToken,
    5: Unavailable,
    6: ConfigurationError,
}


def _group_of(value: int) -> int:
    """The group of a code's value, as the C++ ``group_of``: its hundreds (1 malformed, 2
    rejected, 3 time, 4 forbidden, 5 unavailable, 6 misconfigured)."""
    return value // 100


def _restore(cls: type[JWTError], message: str, code: str) -> JWTError:
    return cls(message, code=code)


def error_class(code: str, value: int = 0) -> type[JWTError]:
    """The class raised for the wire name ``code`` (``value`` is its number, for codes newer
    than this module)."""
    return _BY_CODE.get(code) or _BY_GROUP.get(_group_of(value), JWTError)


def _from_native(code: str, value: int, message: str) -> JWTError:
    """Called by jwtfort._native for every error of the C++ core."""
    return error_class(code, value)(message, code=code)
