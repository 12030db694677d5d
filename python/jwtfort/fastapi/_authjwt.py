"""``AuthJWT``: fastapi-jwt-auth's dependency on jwtfort's token service, the request side.

Tokens are made and verified by :class:`jwtfort.TokenService` (signature, algorithm allow-list,
time window, type, freshness, issuer, audience, store revocation); this module finds the token
in the request, checks the CSRF double submit of cookie tokens, asks the denylist callback, and
turns refusals into HTTP answers. The services of each configuration and the caches that keep
them are in ``_runtime.py`` (keys in ``_keys.py``), the async denylist callback's bridge in
``_denylist.py``, cookie reading and writing in ``_cookies.py``.
"""

from __future__ import annotations

import inspect
import operator
import warnings
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Final, Literal, TypeVar, cast

from fastapi import Depends, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from .. import errors
from .._convert import Clock
from ..errors import JWTError
from ..tokens import Lifetime, TokenPair, TokenService
from ..verifier import VerifiedToken, unverified_header
from ._authorization import credentials, header_values
from ._challenge import challenge_for
from ._cookies import (
    CSRF_MISSING,
    TOKEN_COOKIE_SENT_TWICE,
    CookieNames,
    check_double_submit,
    csrf_error,
    csrf_guarded,
    delete_token_cookies,
    find_cookie,
    set_csrf_cookie,
    set_token_cookie,
    submitted_csrf,
)
from ._denylist import DenylistCallback, is_denylisted, preflight, preflighted
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
from ._runtime import Runtime, Want, names_of, runtime_of, runtime_of_class
from ._settings import Snapshot, as_given, given_values, settings_from

__all__ = ["AuthJWT", "DenylistCallback", "Want", "exception_class"]

_WEBSOCKET_POLICY_VIOLATION: Final = 1008  # RFC 6455 §7.4.1, fastapi-jwt-auth's status
_STATE_KEY: Final = "jwtfort_authjwt"  # app.state: per-app configurations
_NO_CALLBACK: Final = (
    "A token_in_denylist_callback must be provided via the '@AuthJWT.token_in_denylist_loader' "
    "if authjwt_denylist_enabled is 'True'"
)


_Instance = TypeVar("_Instance", bound="AuthJWT")


class AuthJWT:
    """The fastapi-jwt-auth dependency: ``Authorize: AuthJWT = Depends()``.

    Configure it once for the process with :meth:`load_config` (fastapi-jwt-auth's way, or by
    assigning the class attributes ``AuthJWT._secret_key``... directly), or per application
    with :meth:`configure`. Every refusal is an :class:`AuthJWTException` with the status,
    message and ``WWW-Authenticate`` of jwtfort's HTTP table: 401 for token problems, with
    fastapi-jwt-auth's texts for a missing, expired, revoked, non-fresh or wrong-type token and
    for CSRF, and "Invalid token" for every signature, format, algorithm or key failure, so a
    client cannot probe which check failed; 400 for an unreadable Authorization header; 503
    when the token store is down. A route using it shows the bearer scheme in OpenAPI.

    Constructing it never fails: the Authorization header is read by the first method that
    needs it, so a route that only creates tokens ignores a foreign header (Basic, say).

    Errors outside requests: ``RuntimeError`` for missing keys, ``TypeError`` for arguments of
    the wrong type, :class:`jwtfort.ConfigurationError` (``WeakKey``: an HMAC secret shorter
    than the hash) for unusable keys.

    Example::

        @AuthJWT.load_config
        def settings() -> AuthJWTSettings:
            return AuthJWTSettings(authjwt_secret_key=os.environ["JWT_SECRET"])

        @app.get("/user")
        def user(Authorize: AuthJWT = Depends()) -> dict[str, str | None]:
            Authorize.jwt_required()
            return {"user": Authorize.get_jwt_subject()}
    """

    # Configuration, as fastapi-jwt-auth names it: `_x` is setting `authjwt_x`.
    _token_location: ClassVar[frozenset[str] | set[str] | Sequence[str]] = frozenset({"headers"})
    _secret_key: ClassVar[str | None] = None
    _public_key: ClassVar[str | None] = None
    _private_key: ClassVar[str | None] = None
    _algorithm: ClassVar[str] = "HS256"
    _decode_algorithms: ClassVar[Sequence[str] | None] = None
    _decode_leeway: ClassVar[int | timedelta] = 0
    _encode_issuer: ClassVar[str | None] = None
    _decode_issuer: ClassVar[str | None] = None
    _decode_audience: ClassVar[str | Sequence[str] | None] = None
    _denylist_enabled: ClassVar[bool] = False
    _denylist_token_checks: ClassVar[frozenset[str] | set[str] | Sequence[str]] = frozenset(
        {"access", "refresh"}
    )
    _header_name: ClassVar[str] = "Authorization"
    _header_type: ClassVar[str | None] = "Bearer"
    _access_token_expires: ClassVar[bool | int | timedelta] = timedelta(minutes=15)
    _refresh_token_expires: ClassVar[bool | int | timedelta] = timedelta(days=30)
    _access_cookie_key: ClassVar[str] = "access_token_cookie"
    _refresh_cookie_key: ClassVar[str] = "refresh_token_cookie"
    _access_cookie_path: ClassVar[str] = "/"
    _refresh_cookie_path: ClassVar[str] = "/"
    _cookie_max_age: ClassVar[int | None] = None
    _cookie_domain: ClassVar[str | None] = None
    _cookie_secure: ClassVar[bool] = False
    _cookie_samesite: ClassVar[str | None] = None
    _cookie_csrf_protect: ClassVar[bool] = True
    _access_csrf_cookie_key: ClassVar[str] = "csrf_access_token"
    _refresh_csrf_cookie_key: ClassVar[str] = "csrf_refresh_token"
    _access_csrf_cookie_path: ClassVar[str] = "/"
    _refresh_csrf_cookie_path: ClassVar[str] = "/"
    _access_csrf_header_name: ClassVar[str] = "X-CSRF-Token"
    _refresh_csrf_header_name: ClassVar[str] = "X-CSRF-Token"
    _csrf_methods: ClassVar[frozenset[str] | set[str] | Sequence[str]] = frozenset(
        {"POST", "PUT", "PATCH", "DELETE"}
    )
    _store_url: ClassVar[str | None] = None
    _token_in_denylist_callback: ClassVar[DenylistCallback | None] = None
    #: "Now" for every token of the class, for tests: a callable returning Unix seconds.
    _clock: ClassVar[Clock] = None
    # The compatibility class accepts legacy short HMAC secrets and RSA keys, with a
    # SecurityWarning.
    _weak_secrets: ClassVar[bool] = False
    #: The token the last protection method accepted (``None`` on the class, as in
    #: fastapi-jwt-auth).
    _token: str | None = None

    def __init__(
        self,
        req: Request | None = None,
        res: Response | None = None,
        _jwtfort_connection: object = None,
    ) -> None:
        # FastAPI passes the connection through the hidden security dependency, also in
        # WebSocket routes where `req` stays None.
        connection = _jwtfort_connection
        self._connection = connection if isinstance(connection, HTTPConnection) else req
        self._request = req
        self._response = res
        self._runtime_state: tuple[Runtime, DenylistCallback | None] | None = None
        self._token = None
        self._verified: VerifiedToken | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _declare_dependency(cls)

    def __await__(self: _Instance) -> Generator[Any, None, _Instance]:
        """The instance, once the async denylist callback has answered for the request's tokens:
        how FastAPI resolves the dependency on the event loop (see ``_declare_dependency``)."""
        connection = self._connection
        if connection is None:
            return self
        try:
            # The request's configuration, read once here for the preflight and every method.
            state = self._runtime_state = type(self)._resolve(connection)
        except (RuntimeError, TypeError, ValueError):
            return self  # left for the route's own call to report, as _preflight does
        runtime, callback = state
        if callback is not None:
            yield from preflight(connection, runtime, callback).__await__()
        return self

    # --- configuration ---------------------------------------------------------------------

    @classmethod
    def load_config(cls, settings: Callable[[], object]) -> Callable[[], object]:
        """Decorator: configures the class with what ``settings()`` returns (see
        :func:`~jwtfort.fastapi.settings_from`). The keys are checked at once.

        Errors: ``TypeError`` (no settings), ``pydantic.ValidationError``,
        :class:`jwtfort.ConfigurationError` (``WeakKey``, ``InvalidKey``).

        Example::

            @AuthJWT.load_config
            def get_config() -> Settings:
                return Settings()
        """
        source = settings()
        snapshot = Snapshot.of(settings_from(source))
        cls._runtime_of(snapshot, cls._clock).check_keys()
        given = given_values(source)
        for name, value in zip(Snapshot._fields, snapshot, strict=True):
            setattr(cls, "_" + name, as_given(value, given.get("authjwt_" + name)))
        return settings

    @classmethod
    def token_in_denylist_loader(cls, callback: DenylistCallback) -> DenylistCallback:
        """Decorator: ``callback(claims) -> bool`` tells whether a token is revoked, for the
        types in ``authjwt_denylist_token_checks`` when ``authjwt_denylist_enabled``. It may be
        ``async def``: its answers for the tokens a request carries (header, cookies, and a
        WebSocket's query and path parameters) are awaited before the route runs.

        Example::

            @AuthJWT.token_in_denylist_loader
            async def is_revoked(claims: dict[str, Any]) -> bool:
                return await redis.exists(f"revoked:{claims['jti']}") == 1
        """
        cls._token_in_denylist_callback = callback
        return callback

    @classmethod
    def configure(
        cls,
        app: Any,
        settings: object,
        *,
        token_in_denylist: DenylistCallback | None = None,
        clock: Clock = None,
    ) -> None:
        """Configures ``app`` alone: its requests use ``settings`` (anything
        :func:`~jwtfort.fastapi.settings_from` takes) and ``token_in_denylist`` instead of the
        class configuration, so that two applications of one process can differ.

        Errors: as :meth:`load_config`.

        Example::

            AuthJWT.configure(app, AuthJWTSettings(authjwt_secret_key=secret))
        """
        snapshot = Snapshot.of(settings_from(settings))
        runtime = cls._runtime_of(snapshot, clock)
        runtime.check_keys()
        runtime.check_usable(has_denylist=token_in_denylist is not None)
        configs = dict(getattr(app.state, _STATE_KEY, None) or {})
        configs[cls] = (runtime, token_in_denylist)
        setattr(app.state, _STATE_KEY, configs)

    # --- making tokens ---------------------------------------------------------------------

    def create_access_token(
        self,
        subject: str | int,
        fresh: bool = False,
        algorithm: str | None = None,
        headers: Mapping[str, Any] | None = None,
        expires_time: int | timedelta | bool | None = None,
        audience: str | Sequence[str] | None = None,
        user_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A new access token for ``subject`` (an int becomes its decimal text); ``fresh``
        right after a password login. ``expires_time`` overrides the configured lifetime
        (seconds or ``timedelta``; ``False``: no ``exp``, accepted back only when the configured
        lifetime is ``False`` too). ``user_claims`` may not replace the token's own claims.

        Errors: ``TypeError`` for arguments of the wrong type, ``RuntimeError``/``ValueError``
        for a missing key or unknown algorithm, :class:`jwtfort.InvalidClaim` for a reserved
        user claim.

        Example::

            token = Authorize.create_access_token(subject=user.id, fresh=True)
        """
        if not isinstance(fresh, bool):
            raise TypeError("fresh must be a boolean")
        service, name, options = self._token_request(
            subject, algorithm, headers, expires_time, audience, user_claims
        )
        return service.create_access_token(name, fresh=fresh, **options)

    def create_refresh_token(
        self,
        subject: str | int,
        algorithm: str | None = None,
        headers: Mapping[str, Any] | None = None,
        expires_time: int | timedelta | bool | None = None,
        audience: str | Sequence[str] | None = None,
        user_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A new refresh token for ``subject``. Arguments and errors as
        :meth:`create_access_token`."""
        service, name, options = self._token_request(
            subject, algorithm, headers, expires_time, audience, user_claims
        )
        return service.create_refresh_token(name, **options)

    def _token_request(
        self,
        subject: object,
        algorithm: object,
        headers: Mapping[str, Any] | None,
        expires_time: object,
        audience: object,
        user_claims: object,
    ) -> tuple[TokenService, str, dict[str, Any]]:
        if isinstance(subject, bool) or not isinstance(subject, (str, int)):
            raise TypeError("subject must be a string or integer")
        if audience is not None and not isinstance(audience, (str, list, tuple, set, frozenset)):
            raise TypeError("audience must be a string or sequence")
        if algorithm is not None and not isinstance(algorithm, str):
            raise TypeError("algorithm must be a string")
        if user_claims is not None and not isinstance(user_claims, Mapping):
            raise TypeError("user_claims must be a dictionary")
        options = {
            "lifetime": _lifetime_of(expires_time),
            "audience": names_of(audience),
            "extra_claims": user_claims or None,
            "headers": headers,
        }
        return self._runtime().service(algorithm), str(subject), options

    # --- protecting routes -----------------------------------------------------------------

    def jwt_required(
        self,
        auth_from: str = "request",
        token: str | None = None,
        websocket: WebSocket | None = None,
        csrf_token: str | None = None,
    ) -> None:
        """Requires a valid access token: from the request's configured locations (the header
        first when both are configured), or, with ``auth_from="websocket"``, ``token`` (from
        the query or path) or the cookies of ``websocket`` with ``csrf_token``.

        Errors: :class:`MissingTokenError` (status 1008 for a WebSocket ``token``),
        :class:`InvalidHeaderError`, :class:`JWTDecodeError`, :class:`CSRFError`,
        :class:`RevokedTokenError`, :class:`AccessTokenRequired`.

        Example::

            Authorize.jwt_required()
            Authorize.jwt_required("websocket", token=token)
        """
        self._protect("access", auth_from, token, websocket, csrf_token)

    def jwt_optional(
        self,
        auth_from: str = "request",
        token: str | None = None,
        websocket: WebSocket | None = None,
        csrf_token: str | None = None,
    ) -> None:
        """As :meth:`jwt_required`, but no token at all is fine: the subject is then ``None``.
        A token that is there must be a valid access token."""
        self._protect("optional", auth_from, token, websocket, csrf_token)

    def jwt_refresh_token_required(
        self,
        auth_from: str = "request",
        token: str | None = None,
        websocket: WebSocket | None = None,
        csrf_token: str | None = None,
    ) -> None:
        """As :meth:`jwt_required`, for a refresh token (its own cookie and CSRF header).
        Errors: those of :meth:`jwt_required`, :class:`RefreshTokenRequired`."""
        self._protect("refresh", auth_from, token, websocket, csrf_token)

    def fresh_jwt_required(
        self,
        auth_from: str = "request",
        token: str | None = None,
        websocket: WebSocket | None = None,
        csrf_token: str | None = None,
    ) -> None:
        """As :meth:`jwt_required`, for an access token made with ``fresh=True``. Errors: those
        of :meth:`jwt_required`, :class:`FreshTokenRequired`."""
        self._protect("fresh", auth_from, token, websocket, csrf_token)

    def _protect(
        self,
        want: Want,
        auth_from: str,
        token: str | None,
        websocket: WebSocket | None,
        csrf_token: str | None,
    ) -> None:
        # Inline rather than _check_token_argument: this runs on every request.
        if token is not None and not isinstance(token, str):
            raise TypeError("token must be a string")
        if csrf_token is not None and not isinstance(csrf_token, str):
            raise TypeError("csrf_token must be a string")
        locations = self._runtime().config.token_location
        if auth_from == "websocket":
            if websocket is not None:
                self._from_cookies(want, websocket, csrf_token)
            else:
                self._from_token(want, token, websocket=True)
            return
        if auth_from != "request":
            raise ValueError("auth_from must be 'request' or 'websocket'")
        self._from_request(want, locations)

    def _from_request(self, want: Want, locations: frozenset[str]) -> None:
        from_header = self._header_token() if "headers" in locations else None
        # fastapi-jwt-auth's precedence: the header when it holds a token, else the cookies.
        if "headers" in locations and (from_header or "cookies" not in locations):
            self._from_token(want, from_header)
        else:
            self._from_cookies(want, self._request, None)

    def _from_token(self, want: Want, token: str | None, *, websocket: bool = False) -> None:
        if not token:
            if want == "optional":
                return
            kind = "refresh" if want == "refresh" else "access"
            config = self._runtime().config
            message = (
                f"Missing {kind} token from Query or Path"
                if websocket
                else f"Missing {config.header_name} Header"
            )
            raise self._refuse(errors.MissingToken(message), want, websocket=websocket)
        self._accept(token, self._verify(token, want))

    def _from_cookies(self, want: Want, connection: object, csrf_token: str | None) -> None:
        if not isinstance(connection, HTTPConnection):
            raise TypeError("request must be an instance of 'Request' or 'WebSocket'")
        config = self._runtime().config
        names = CookieNames.of(config, "refresh" if want == "refresh" else "access")
        submitted = submitted_csrf(connection, names, csrf_token)
        guarded = csrf_guarded(connection, config)
        cookie = self._token_cookie(connection, names.token, want)
        if cookie is None:
            return  # no token, and an optional one
        if guarded and not submitted and want != "optional":
            raise self._refuse(csrf_error(CSRF_MISSING), want)
        verified = self._verify(cookie, want)
        if guarded:
            self._check_csrf(verified, submitted, want)
        self._accept(cookie, verified)

    def _token_cookie(self, connection: HTTPConnection, name: str, want: Want) -> str | None:
        """The token cookie ``name``; ``None`` when there is none and none is required."""
        cookie, twice = find_cookie(connection, name)
        if twice:
            raise self._refuse(errors.MalformedToken(TOKEN_COOKIE_SENT_TWICE), want)
        if not cookie:
            if want == "optional":
                return None
            raise self._refuse(errors.MissingToken(f"Missing cookie {name}"), want)
        return cookie

    def _check_csrf(self, verified: VerifiedToken, csrf_token: object, want: Want) -> None:
        expected = verified.claims.get("csrf")
        try:
            check_double_submit(
                str(csrf_token) if csrf_token else None,
                expected if isinstance(expected, str) else None,
                unset="Missing claim: csrf",
            )
        except errors.InvalidToken as error:
            raise self._refuse(error, want) from error

    def _accept(self, token: str, verified: VerifiedToken) -> None:
        self._token = token
        self._verified = verified

    def _verify(self, token: str, want: Want) -> VerifiedToken:
        """The core's verdict on ``token``, then the denylist callback's."""
        try:
            verified = self._runtime().verify(token, want)
        except (errors.InvalidToken, errors.Unavailable) as error:
            raise self._refuse(error, want, token=token) from error
        if want != "any":
            self._check_denylist(verified, want)
        return verified

    def _check_denylist(self, verified: VerifiedToken, want: Want) -> None:
        runtime, callback = self._runtime_and_callback()
        config = runtime.config
        if not config.denylist_enabled:
            return
        claims = verified.claims
        if claims.get("type") not in config.denylist_token_checks:
            return
        if callback is None:
            if config.store_url is not None:
                return  # the token store is the denylist: the core checked it already
            raise RuntimeError(_NO_CALLBACK)
        if is_denylisted(callback, verified, preflighted(self._connection)):
            raise self._refuse(errors.RevokedToken("token is in the denylist"), want)

    # --- reading the token -----------------------------------------------------------------

    def get_raw_jwt(self, encoded_token: str | None = None) -> dict[str, Any] | None:
        """The claims of ``encoded_token`` (verified), else of the token the last protection
        method accepted, else of the request's Authorization header; ``None`` without a
        token. Errors: as :meth:`jwt_required`."""
        _check_token_argument(encoded_token, "encoded_token")
        if encoded_token:
            return dict(self._verify(encoded_token, "any").claims)
        if self._verified is not None:
            return dict(self._verified.claims)
        token = self._default_token()
        return dict(self._verify(token, "any").claims) if token else None

    def get_jwt_subject(self) -> str | None:
        """``sub`` of the current token (see :meth:`get_raw_jwt`), or ``None``."""
        if self._verified is not None:
            return self._verified.subject
        claims = self.get_raw_jwt()
        return claims.get("sub") if claims else None

    def get_jti(self, encoded_token: str) -> str | None:
        """``jti`` of ``encoded_token``, after verifying it."""
        if not isinstance(encoded_token, str):
            raise TypeError("encoded_token must be a string")
        return self._verify(encoded_token, "any").jwt_id

    def get_unverified_jwt_headers(self, encoded_token: str | None = None) -> dict[str, Any]:
        """The JOSE header of ``encoded_token`` (else of the request's token), not verified:
        for routing on ``kid`` or ``alg``, never for a decision."""
        _check_token_argument(encoded_token, "encoded_token")
        token = encoded_token or self._default_token()
        if not token:
            raise self._no_token_for_headers()
        try:
            return unverified_header(token)
        except errors.MalformedToken as error:
            raise self._refuse(error, "any", token=token) from error

    def _no_token_for_headers(self) -> AuthJWTException:
        config = self._runtime().config
        return self._refuse(errors.MissingToken(f"Missing {config.header_name} Header"), "any")

    def _default_token(self) -> str | None:
        if self._token is not None:
            return self._token
        if "headers" in self._runtime().config.token_location:
            return self._header_token()
        return None

    def _header_token(self) -> str | None:
        request = self._request
        if request is None:
            return None
        config = self._runtime().config
        values = header_values(request, config.header_name)
        if not values or not values[0]:
            return None
        return self._parse_authorization(values, config)

    def _parse_authorization(self, values: list[str], config: Snapshot) -> str:
        """The token of ``<type> <token>`` (``<token>`` when the type is empty); the scheme is
        case-insensitive (RFC 9110 §11.1) and a repeated header is refused."""
        scheme = config.header_type or ""
        token = credentials(values[0], scheme) if len(values) == 1 else None
        if token is not None:
            return token
        expected = f"'{config.header_type} <JWT>'" if config.header_type else "'<JWT>'"
        raise self._bad_header(f"Bad {config.header_name} header. Expected value {expected}")

    def _bad_header(self, message: str) -> AuthJWTException:
        error = errors.MalformedToken(message, code="invalid_authorization_header")
        return self._refuse(error, "any")

    # --- cookies -----------------------------------------------------------------------------

    def set_access_cookies(
        self,
        encoded_access_token: str,
        response: Response | None = None,
        max_age: int | None = None,
    ) -> None:
        """Sets the access token cookie (``HttpOnly``) and, with CSRF protection, its CSRF
        cookie (readable by scripts, to be sent back in the CSRF header), on ``response`` or
        the route's own.

        Errors: ``TypeError`` for a bad ``response`` or ``max_age``; the token is verified, as
        in :meth:`get_raw_jwt`. Warns (``RuntimeWarning``) when cookies are not a configured
        token location.

        Example::

            Authorize.set_access_cookies(Authorize.create_access_token(subject=user))
        """
        self._set_cookies("access", encoded_access_token, response, max_age)

    def set_refresh_cookies(
        self,
        encoded_refresh_token: str,
        response: Response | None = None,
        max_age: int | None = None,
    ) -> None:
        """As :meth:`set_access_cookies`, for the refresh token."""
        self._set_cookies("refresh", encoded_refresh_token, response, max_age)

    def unset_jwt_cookies(self, response: Response | None = None) -> None:
        """Deletes the access and refresh cookies and their CSRF cookies."""
        self.unset_access_cookies(response)
        self.unset_refresh_cookies(response)

    def unset_access_cookies(self, response: Response | None = None) -> None:
        """Deletes the access cookie and its CSRF cookie."""
        self._unset_cookies("access", response)

    def unset_refresh_cookies(self, response: Response | None = None) -> None:
        """Deletes the refresh cookie and its CSRF cookie."""
        self._unset_cookies("refresh", response)

    def _set_cookies(
        self, kind: Literal["access", "refresh"], token: str, response: object, max_age: object
    ) -> None:
        if not isinstance(token, str):
            raise TypeError(f"encoded_{kind}_token must be a string")
        config = self._runtime().config
        self._warn_without_cookies(f"set_{kind}_cookies")
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
            raise TypeError("max_age must be a integer")
        target = self._response_for(response)
        names = CookieNames.of(config, kind)
        age = max_age or config.cookie_max_age
        set_token_cookie(target, config, names, token, age)
        if not config.cookie_csrf_protect:
            return
        csrf = self._verify(token, kind).claims.get("csrf")
        if isinstance(csrf, str):  # a token made while cookies were not a location has none
            set_csrf_cookie(target, config, names, csrf, age)

    def _unset_cookies(self, kind: Literal["access", "refresh"], response: object) -> None:
        config = self._runtime().config
        self._warn_without_cookies(f"unset_{kind}_cookies")
        target = self._response_for(response)
        delete_token_cookies(target, config, CookieNames.of(config, kind))

    def _warn_without_cookies(self, method: str) -> None:
        if "cookies" not in self._runtime().config.token_location:
            warnings.warn(
                f"{method}() called without 'authjwt_token_location' configured to use cookies",
                RuntimeWarning,
                stacklevel=4,
            )

    def _response_for(self, response: object) -> Response:
        if response is not None and not isinstance(response, Response):
            raise TypeError("The response must be an object response FastAPI")
        target = response if response is not None else self._response
        if target is None:
            raise TypeError("The response must be an object response FastAPI")
        return target

    # --- revocation and rotation (jwtfort) ---------------------------------------------------

    def revoke_token(self, encoded_token: str | None = None) -> None:
        """Revokes ``encoded_token`` (else the current token) in the token store of
        ``authjwt_store_url`` until it expires; a refresh token takes its whole refresh family
        with it. Every later check of the token fails with :class:`RevokedTokenError`.

        Errors: :class:`jwtfort.ConfigurationError` without a store, the refusals of
        :meth:`get_raw_jwt` for an invalid token.

        Example::

            Authorize.jwt_required()
            Authorize.revoke_token()    # log out
        """
        _check_token_argument(encoded_token, "encoded_token")
        runtime = self._runtime()
        if runtime.config.store_url is None:
            raise errors.ConfigurationError("revoke_token() needs authjwt_store_url")
        verified = self._current(encoded_token)
        runtime.verifier_for(verified.alg).revoke(verified)

    def rotate_refresh_token(self, encoded_token: str | None = None) -> TokenPair:
        """Spends the refresh token (``encoded_token``, else the one
        :meth:`jwt_refresh_token_required` accepted) for a new access token and a new refresh
        token of the same refresh family. A spent refresh token presented again revokes the
        family (RFC 9700 §4.14.2): :class:`RevokedTokenError`.

        Errors: :class:`jwtfort.ConfigurationError` without ``authjwt_store_url``, the
        refusals of :meth:`jwt_refresh_token_required`.

        Example::

            Authorize.jwt_refresh_token_required()
            access, refresh = Authorize.rotate_refresh_token()
        """
        _check_token_argument(encoded_token, "encoded_token")
        runtime = self._runtime()
        if runtime.config.store_url is None:
            raise errors.ConfigurationError("rotate_refresh_token() needs authjwt_store_url")
        if not encoded_token and self._token is None:
            # Not protected yet: take the refresh token where jwt_refresh_token_required would.
            self.jwt_refresh_token_required()
        token = encoded_token or self._token
        if not token:
            missing = errors.MissingToken(f"Missing {runtime.config.header_name} Header")
            raise self._refuse(missing, "refresh")
        try:
            return runtime.service(None).refresh(token)
        except (errors.InvalidToken, errors.Unavailable) as error:
            raise self._refuse(error, "refresh", token=token) from error

    def _current(self, encoded_token: str | None) -> VerifiedToken:
        if encoded_token:
            return self._verify(encoded_token, "any")
        if self._verified is not None:
            return self._verified
        token = self._default_token()
        if not token:
            raise self._no_token_for_headers()
        return self._verify(token, "any")

    # --- refusals ------------------------------------------------------------------------------

    def _refuse(
        self, error: JWTError, want: Want, *, websocket: bool = False, token: str | None = None
    ) -> AuthJWTException:
        """The HTTP answer to ``error``: jwtfort's one table (``challenge_for``)."""
        config = self._runtime().config
        challenge = challenge_for(error, header_name=config.header_name)
        status = _WEBSOCKET_POLICY_VIOLATION if websocket else challenge.status
        exception = exception_class(error, want)(
            status, challenge.detail, headers=challenge.headers, code=error.code
        )
        exception.__cause__ = error
        return exception

    # --- configuration lookup ------------------------------------------------------------------

    def _runtime(self) -> Runtime:
        return self._runtime_and_callback()[0]

    def _runtime_and_callback(self) -> tuple[Runtime, DenylistCallback | None]:
        state = self._runtime_state
        if state is None:
            # A request's instance reads the class configuration once, at its first call. One
            # made outside a request (a test's long-lived `Authorize = AuthJWT()`) reads it on
            # every call, with its own attributes first, so later load_config calls and
            # attribute assignments, on the class or on the instance, reach it.
            if self._connection is not None:
                state = self._runtime_state = type(self)._resolve(self._connection)
            else:
                state = type(self)._resolve(None, self)
        return state

    @classmethod
    def _resolve(
        cls, connection: HTTPConnection | None, source: object = None
    ) -> tuple[Runtime, DenylistCallback | None]:
        """The application's configuration when it has one (:meth:`configure`), else the
        attributes of ``source`` (an instance, which may shadow some) or of the class."""
        configured = _app_configuration(cls, connection)
        if configured is not None:
            return configured
        # Read on every request, since tests assign class attributes directly; the runtime is
        # built again only when one of them changed. An instance may shadow a setting; the
        # hooks come from the class, since a function read through an instance is a method.
        raw = _CLASS_ATTRIBUTES(cls)
        if source is not None:
            raw = (*_SETTING_ATTRIBUTES(source), *raw[-2:])
        *values, clock, callback = raw
        runtime = runtime_of_class(
            cls, raw, lambda: cls._runtime_of(Snapshot.from_values(values), clock)
        )
        return runtime, callback

    @classmethod
    def _runtime_of(cls, snapshot: Snapshot, clock: Clock) -> Runtime:
        return runtime_of(snapshot, clock, weak_secrets=cls._weak_secrets)

    @classmethod
    async def _preflight(cls, connection: HTTPConnection) -> None:
        """Awaits an async denylist callback before the route (see ``_denylist.py``). A
        configuration that cannot be resolved is left for the route's own call to report."""
        try:
            runtime, callback = cls._resolve(connection)
        except (RuntimeError, TypeError, ValueError):
            return
        await preflight(connection, runtime, callback)


def _app_configuration(
    owner: type[AuthJWT], connection: HTTPConnection | None
) -> tuple[Runtime, DenylistCallback | None] | None:
    """What :meth:`AuthJWT.configure` stored on the connection's application for ``owner`` or
    its nearest base class, if anything."""
    app = connection.scope.get("app") if connection is not None else None
    state = getattr(app, "state", None)
    # Starlette's State keeps its values in `_state`; asking that dict spares the AttributeError
    # that State raises for a missing name, on every request of an app never configured.
    values = getattr(state, "_state", None)
    configs = (
        values.get(_STATE_KEY) if isinstance(values, dict) else getattr(state, _STATE_KEY, None)
    )
    if not configs:
        return None
    for klass in owner.__mro__:
        if klass in configs:
            runtime, callback = configs[klass]
            return cast(Runtime, runtime), callback
    return None


def exception_class(error: JWTError, want: Want) -> type[AuthJWTException]:
    """The fastapi-jwt-auth exception class for a jwtfort error."""
    code = error.code
    if code == "wrong_token_type":
        return RefreshTokenRequired if want == "refresh" else AccessTokenRequired
    by_code = _CLASS_BY_CODE.get(code)
    if by_code is not None:
        return by_code
    if isinstance(error, errors.MalformedToken) and not isinstance(error, errors.InvalidClaim):
        return InvalidHeaderError
    if isinstance(error, errors.Unavailable):
        return AuthJWTException
    return JWTDecodeError


_CLASS_BY_CODE: Final[Mapping[str, type[AuthJWTException]]] = {
    "missing_token": MissingTokenError,
    "invalid_authorization_header": InvalidHeaderError,
    "csrf_failed": CSRFError,
    "revoked": RevokedTokenError,
    "token_reused": RevokedTokenError,
    "fresh_token_required": FreshTokenRequired,
}


_SETTING_ATTRIBUTES: Final = operator.attrgetter(*("_" + name for name in Snapshot._fields))
_CLASS_ATTRIBUTES: Final = operator.attrgetter(
    *("_" + name for name in Snapshot._fields), "_clock", "_token_in_denylist_callback"
)


def _check_token_argument(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a string")


def _lifetime_of(expires_time: object) -> Lifetime | None:
    """fastapi-jwt-auth's ``expires_time``: ``None``, ``True`` and zero mean the configured
    lifetime, ``False`` no ``exp``."""
    if expires_time is False:
        return False
    if expires_time is None or expires_time is True:
        return None
    if not isinstance(expires_time, (int, timedelta)):
        raise TypeError("expires_time must be between timedelta, int, bool")
    return expires_time or None


# --- the hidden security dependency ---------------------------------------------------------------


class _Preflight(SecurityBase):
    """The security scheme of every route that depends on an ``AuthJWT`` class: OpenAPI shows
    the bearer scheme (Swagger UI's Authorize button), and before the route it awaits an async
    denylist callback. It takes an ``HTTPConnection``, so it also runs in WebSocket routes."""

    def __init__(self, owner: type[AuthJWT]) -> None:
        self.model = HTTPBearerModel(bearerFormat="JWT")
        self.scheme_name = "JWT"
        self._owner = owner

    async def __call__(self, connection: HTTPConnection) -> HTTPConnection:
        await self._owner._preflight(connection)
        return connection


def _declare_dependency(cls: type[AuthJWT]) -> None:
    """What FastAPI reads to call ``cls`` as a dependency: the request, the response, the
    connection, and the class's own security scheme, ``_Preflight``.

    FastAPI runs a class dependency in its thread pool, a hop that costs several times what
    ``AuthJWT`` itself does per request, and resolves the hidden security dependency as one
    more dependency. Where FastAPI reads a dependency through ``__wrapped__`` (as it does for
    decorated functions), the class is declared as wrapping its security scheme instead: the
    scheme is the route's, as before, and since the scheme's ``__call__`` is a coroutine
    function FastAPI awaits the instance, which runs the preflight on the event loop
    (``__await__``). Elsewhere (Python 3.13's ``inspect.unwrap`` leaves classes alone, and
    older FastAPI releases do not unwrap) the scheme stays a sub-dependency, with the same
    results.
    """
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    scheme = _Preflight(cls)
    connection = (
        inspect.Parameter("_jwtfort_connection", keyword, default=None, annotation=HTTPConnection)
        if _FASTAPI_UNWRAPS_CLASSES
        else inspect.Parameter("_jwtfort_connection", keyword, default=Depends(scheme))
    )
    parameters = [
        inspect.Parameter("req", keyword, default=None, annotation=Request),
        inspect.Parameter("res", keyword, default=None, annotation=Response),
        connection,
    ]
    setattr(cls, "__signature__", inspect.Signature(parameters))  # noqa: B010
    if _FASTAPI_UNWRAPS_CLASSES:
        setattr(cls, "__wrapped__", scheme)  # noqa: B010


def _fastapi_unwraps_classes() -> bool:
    """Whether FastAPI, on this Python, would await a class wrapping a security scheme and show
    that scheme: asked of FastAPI's own classification, so that any release or Python that
    answers otherwise keeps the sub-dependency."""
    try:
        from fastapi.dependencies.models import (
            Dependant,
            _is_coroutine_callable,
            _is_security_scheme,
        )
    except ImportError:
        return False

    class Probe:
        __wrapped__ = _Preflight(AuthJWT)

    try:
        return bool(
            _is_coroutine_callable(Probe) and _is_security_scheme(dependant=Dependant(call=Probe))
        )
    except Exception:  # a FastAPI whose helpers differ: the sub-dependency
        return False


_FASTAPI_UNWRAPS_CLASSES: Final = _fastapi_unwraps_classes()
_declare_dependency(AuthJWT)
