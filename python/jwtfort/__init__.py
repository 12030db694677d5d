"""jwtfort: JSON Web Token authentication on a strict C++20 core.

Keys bound to one algorithm, a signer, a verifier with a mandatory algorithm allow-list, and a
token service with revocation and refresh rotation on memory, SQLite or Redis stores. Every
error is a :class:`~jwtfort.errors.JWTError` (a ``ValueError``) whose ``.code`` is the wire
name of docs/errors.md.

Example::

    import jwtfort

    key = jwtfort.Key.generate("ES256")
    token = jwtfort.Signer(key).sign({"sub": "alice", "exp": int(time.time()) + 900})
    verified = jwtfort.Verifier(algorithms=["ES256"], keys=key).verify(token)
    assert verified.subject == "alice"
"""

from ._native import openssl_version as _openssl_version
from ._native import version as _version
from .errors import (
    AlgorithmNotAllowed,
    ConfigurationError,
    ExpiredToken,
    FreshTokenRequired,
    ImmatureToken,
    InsufficientScope,
    InvalidAudience,
    InvalidClaim,
    InvalidIssuer,
    InvalidKey,
    InvalidSignature,
    InvalidToken,
    JWKSUnavailable,
    JWTError,
    MalformedToken,
    MissingClaim,
    MissingToken,
    RevokedToken,
    StoreUnavailable,
    Unavailable,
    UnknownKey,
    WeakKey,
    WrongTokenType,
)
from .issuers import (
    IssuerIdentity,
    IssuerOptions,
    IssuerStats,
    ProviderMetadata,
    TrustedIssuers,
)
from .keys import ALGORITHMS, Algorithm, Key, KeyRing, KeySet
from .signer import Signer
from .store import Store, open_store
from .tokens import Lifetime, TokenPair, TokenService, TokenType, VerifiedCacheStats
from .verifier import VerifiedToken, Verifier, unverified_claims, unverified_header

__version__ = _version()

# The OpenSSL that signs and verifies: a wheel carries its own copy, so an OpenSSL fix reaches
# its users through a new jwtfort wheel (docs/security.md).
__openssl_version__ = _openssl_version()

__all__ = [
    "ALGORITHMS",
    "Algorithm",
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
    "IssuerIdentity",
    "IssuerOptions",
    "IssuerStats",
    "JWKSUnavailable",
    "JWTError",
    "Key",
    "KeyRing",
    "KeySet",
    "Lifetime",
    "MalformedToken",
    "MissingClaim",
    "MissingToken",
    "ProviderMetadata",
    "RevokedToken",
    "Signer",
    "Store",
    "StoreUnavailable",
    "TokenPair",
    "TokenService",
    "TokenType",
    "TrustedIssuers",
    "Unavailable",
    "UnknownKey",
    "VerifiedCacheStats",
    "VerifiedToken",
    "Verifier",
    "WeakKey",
    "WrongTokenType",
    "__openssl_version__",
    "__version__",
    "open_store",
    "unverified_claims",
    "unverified_header",
]
