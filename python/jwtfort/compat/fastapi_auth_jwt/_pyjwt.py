"""The errors fastapi-auth-jwt raised: PyJWT's exception classes.

fastapi-auth-jwt documents ``jwt.ExpiredSignatureError``, ``jwt.InvalidSignatureError``... and
applications catch them, so this layer raises those very classes when PyJWT is installed (an
application that writes ``except jwt.PyJWTError`` has it). Without PyJWT, classes of the same
names and hierarchy stand in, so the layer works without a dependency jwtfort does not use.
Each error is raised ``from`` the jwtfort error, whose ``.code`` says precisely what failed.
"""

from __future__ import annotations

import re
from typing import Final

from ...errors import (
    AlgorithmNotAllowed,
    ExpiredToken,
    ImmatureToken,
    InvalidAudience,
    InvalidIssuer,
    InvalidSignature,
    InvalidToken,
    MalformedToken,
    MissingClaim,
)

try:
    from jwt import exceptions as _classes
except ImportError:  # pragma: no cover - the test environment has PyJWT
    from . import _pyjwt_absent as _classes  # type: ignore[no-redef]

__all__ = [
    "DecodeError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "MissingRequiredClaimError",
    "PyJWTError",
    "pyjwt_error",
]

PyJWTError = _classes.PyJWTError
InvalidTokenError = _classes.InvalidTokenError
DecodeError = _classes.DecodeError
InvalidSignatureError = _classes.InvalidSignatureError
ExpiredSignatureError = _classes.ExpiredSignatureError
InvalidAudienceError = _classes.InvalidAudienceError
InvalidIssuerError = _classes.InvalidIssuerError
ImmatureSignatureError = _classes.ImmatureSignatureError
InvalidAlgorithmError = _classes.InvalidAlgorithmError
MissingRequiredClaimError = _classes.MissingRequiredClaimError

# Most specific first: InvalidClaim is a MalformedToken.
_TRANSLATIONS: Final[tuple[tuple[type[InvalidToken], type[Exception]], ...]] = (
    (ExpiredToken, ExpiredSignatureError),
    (InvalidSignature, InvalidSignatureError),
    (AlgorithmNotAllowed, InvalidAlgorithmError),
    (ImmatureToken, ImmatureSignatureError),
    (InvalidAudience, InvalidAudienceError),
    (InvalidIssuer, InvalidIssuerError),
    (MalformedToken, DecodeError),
)
_CLAIM_NAME: Final = re.compile(r"has no (\w+)|\"(\w+)\"")


def pyjwt_error(error: InvalidToken) -> Exception:
    """The PyJWT exception for ``error``, with jwtfort's message; raise it ``from error``."""
    if isinstance(error, MissingClaim):
        found = _CLAIM_NAME.search(error.message)
        return MissingRequiredClaimError(next(filter(None, found.groups())) if found else "")
    for jwtfort_class, pyjwt_class in _TRANSLATIONS:
        if isinstance(error, jwtfort_class):
            return pyjwt_class(error.message)
    return InvalidTokenError(error.message)
