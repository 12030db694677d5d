"""FastAPI integration: jwtfort's token service behind FastAPI's own hooks.

:class:`AuthJWT` is the dependency of fastapi-jwt-auth (``Authorize: AuthJWT = Depends()``),
configured by the ``authjwt_*`` keys of :class:`AuthJWTSettings`. Its refusals are
:class:`AuthJWTException` s, FastAPI ``HTTPException`` s answered from jwtfort's one HTTP table:
401 with ``WWW-Authenticate`` for token problems, without telling a client which check a forged
token failed. Applications written for fastapi-jwt-auth import
``jwtfort.compat.fastapi_jwt_auth`` instead, which keeps that library's status codes and
messages. :class:`JWTAuthenticationMiddleware` and :class:`JWTAuthBackend` offer
fastapi-auth-jwt's middleware API, :class:`JWTBearer` a typed bearer dependency, and
:class:`OIDCBearer` one for the access tokens of OpenID Connect providers.

Example::

    from fastapi import Depends, FastAPI
    from jwtfort.fastapi import AuthJWT, AuthJWTSettings

    app = FastAPI()
    AuthJWT.configure(app, AuthJWTSettings(authjwt_secret_key=os.environ["JWT_SECRET"]))

    @app.post("/login")
    def login(Authorize: AuthJWT = Depends()) -> dict[str, str]:
        return {"access_token": Authorize.create_access_token(subject="alice", fresh=True)}

    @app.get("/me")
    def me(Authorize: AuthJWT = Depends()) -> dict[str, str | None]:
        Authorize.jwt_required()
        return {"user": Authorize.get_jwt_subject()}
"""

from ._authjwt import AuthJWT, DenylistCallback
from ._challenge import Challenge, challenge_for
from ._exceptions import (
    AccessTokenRequired,
    AuthJWTException,
    CSRFError,
    FreshTokenRequired,
    InvalidHeaderError,
    JWTDecodeError,
    MissingTokenError,
    RefreshTokenRequired,
    RevokedTokenError,
)
from ._settings import AuthJWTSettings, settings_from
from ._warnings import SecurityWarning

# --- middleware, backend, handler and bearer dependency ---
# isort: split
from ._backend import JWTAuthBackend
from ._bearer import JWTBearer
from ._config import AuthConfig, RedisConfig, SQLiteConfig, StorageConfig, StorageTypes, User
from ._handler import JWTHandler
from ._middleware import JWTAuthenticationMiddleware
from ._oidc import OIDCBearer, OIDCUser, ProviderEndpoints

# --- end ---

__all__ = [
    "AccessTokenRequired",
    "AuthConfig",
    "AuthJWT",
    "AuthJWTException",
    "AuthJWTSettings",
    "CSRFError",
    "Challenge",
    "DenylistCallback",
    "FreshTokenRequired",
    "InvalidHeaderError",
    "JWTAuthBackend",
    "JWTAuthenticationMiddleware",
    "JWTBearer",
    "JWTDecodeError",
    "JWTHandler",
    "MissingTokenError",
    "OIDCBearer",
    "OIDCUser",
    "ProviderEndpoints",
    "RedisConfig",
    "RefreshTokenRequired",
    "RevokedTokenError",
    "SQLiteConfig",
    "SecurityWarning",
    "StorageConfig",
    "StorageTypes",
    "User",
    "challenge_for",
    "settings_from",
]
