"""FastAPI integration: jwtfort's verifier, token service and stores behind FastAPI's own hooks."""

from ._challenge import Challenge, challenge_for
from ._warnings import SecurityWarning

# --- middleware, backend, handler and bearer dependency ---
# isort: split
from ._backend import JWTAuthBackend
from ._bearer import JWTBearer
from ._config import AuthConfig, RedisConfig, SQLiteConfig, StorageConfig, StorageTypes, User
from ._handler import JWTHandler
from ._middleware import JWTAuthenticationMiddleware

# --- end ---

__all__ = [
    "AuthConfig",
    "Challenge",
    "JWTAuthBackend",
    "JWTAuthenticationMiddleware",
    "JWTBearer",
    "JWTHandler",
    "RedisConfig",
    "SQLiteConfig",
    "SecurityWarning",
    "StorageConfig",
    "StorageTypes",
    "User",
    "challenge_for",
]
