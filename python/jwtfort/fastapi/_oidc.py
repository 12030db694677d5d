"""``OIDCBearer``: a FastAPI security dependency for access tokens minted by OpenID Connect
providers, with typed users, role and scope requirements, and an OpenAPI scheme that sends
Swagger UI to the provider (authorization code with PKCE)."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the dependencies made
# in requires_*(), and those refer to `self`, which a string annotation cannot reach.
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any, Final, Generic, NamedTuple, TypeVar, overload

from fastapi import FastAPI, Request, Security
from fastapi.openapi.models import OAuth2 as OAuth2Model
from fastapi.openapi.models import OAuthFlowAuthorizationCode, OAuthFlows, OpenIdConnect
from fastapi.openapi.models import SecurityBase as SecurityBaseModel
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, ValidationError

from ..errors import InvalidClaim, InvalidToken, JWTError
from ..issuers import IssuerIdentity, IssuerOptions, TrustedIssuers
from ..keys import Algorithm
from ._bearer import _bearer_token, _refusal, _require

__all__ = ["OIDCBearer", "OIDCUser", "ProviderEndpoints"]

# Tokens remembered by the issuers a bearer makes, so a client sending the same token again
# skips the signature (as AuthJWT's token service does).
_VERIFIED_CACHE: Final = 1024

log: Final = logging.getLogger("jwtfort.fastapi.oidc")

UserT = TypeVar("UserT", bound=BaseModel)

# Where a bearer leaves the identity it verified, for the requirements of the same request.
_SCOPE_KEY: Final = "jwtfort.oidc_identities"
_DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
# How often the lifespan looks at the core's discovery metadata: a read without I/O, so it starts
# often (the document usually lands within milliseconds of start) and slows to the core's own
# longest retry while the provider is down.
_FIRST_POLL: Final = 0.05
_LAST_POLL: Final = 5.0


class OIDCUser(BaseModel):
    """The default user model: the mapped identity and every claim.

    A ``user_model`` of your own is validated from the same fields: ``subject``, ``issuer``,
    ``client_id``, ``roles``, ``scopes`` and ``claims``.
    """

    subject: str
    issuer: str
    client_id: str | None = None
    roles: list[str] = []
    scopes: list[str] = []
    claims: dict[str, Any] = {}


class ProviderEndpoints(NamedTuple):
    """What Swagger UI needs to log in at the provider."""

    authorization_url: str
    token_url: str


class OIDCBearer(SecurityBase, Generic[UserT]):
    """A dependency that verifies the bearer token with the provider's keys and returns the
    user model built from its mapped identity.

    One provider: ``OIDCBearer(issuer=..., audience=...)`` with the options of
    :class:`~jwtfort.IssuerOptions` (``algorithms``, ``roles_claim``, ``scopes_claim``,
    ``subject_claim``, ``require_at_jwt``, ``audience_claim``, ``jwks_url``, ``ca_file``).
    Several: ``issuers=[IssuerOptions(...), ...]``, or a :class:`~jwtfort.TrustedIssuers`
    shared with other code. Keys are discovered and fetched on a background thread of the core
    from construction on; verifying never waits for the network, so it runs on the event loop.

    Failures answer as :class:`JWTBearer`'s: 401 "Missing Authorization Header" with
    ``WWW-Authenticate: Bearer``, 400 for a header that is not ``Bearer <token>``, 401 with
    ``error="invalid_token"`` for a bad, expired, foreign or ill-fitting token, 403
    ``insufficient_scope`` for a missing scope or role, 503 "Key set unavailable" while the
    provider's keys are not fetched yet.

    OpenAPI: an OAuth2 authorization code scheme with the provider's authorization and token
    endpoints, so Swagger UI's Authorize button logs in at the provider (pass
    :attr:`swagger_ui_init_oauth` to ``FastAPI`` for PKCE and the client id). The endpoints are
    ``authorization_url`` and ``token_url`` when given; otherwise the app's lifespan
    (:meth:`lifespan`) takes them from the discovery document the core fetched for the keys
    (:meth:`TrustedIssuers.metadata`), looking again with backoff while the provider is down,
    and until then the scheme is an ``openIdConnect`` one naming the discovery URL. Python
    makes no request of its own, and nothing waits on the event loop.

    Example::

        bearer = OIDCBearer(issuer="https://idp.example/realms/main", audience="orders",
                            roles_claim="realm_access.roles", swagger_client_id="docs")
        app = FastAPI(lifespan=bearer.lifespan, swagger_ui_init_oauth=bearer.swagger_ui_init_oauth)

        @app.get("/orders", dependencies=[Depends(bearer.requires_scopes("orders:read"))])
        def orders() -> list[Order]: ...

        @app.get("/me")
        def me(user: Annotated[OIDCUser, Depends(bearer)]) -> OIDCUser:
            return user
    """

    @overload
    def __init__(
        self: "OIDCBearer[OIDCUser]",
        issuer: str | None = None,
        audience: str | Iterable[str] | None = None,
        *,
        audience_claim: str = "aud",
        algorithms: Iterable[Algorithm | str] = ("RS256",),
        roles_claim: str | Iterable[str] = "roles",
        scopes_claim: str | Iterable[str] = ("scope", "scp"),
        subject_claim: str = "sub",
        require_at_jwt: bool = False,
        jwks_url: str | None = None,
        ca_file: str | None = None,
        issuers: TrustedIssuers | Iterable[IssuerOptions] | None = None,
        authorization_url: str | None = None,
        token_url: str | None = None,
        openapi_scopes: Mapping[str, str] | None = None,
        swagger_client_id: str | None = None,
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        issuer: str | None = None,
        audience: str | Iterable[str] | None = None,
        *,
        user_model: type[UserT],
        audience_claim: str = "aud",
        algorithms: Iterable[Algorithm | str] = ("RS256",),
        roles_claim: str | Iterable[str] = "roles",
        scopes_claim: str | Iterable[str] = ("scope", "scp"),
        subject_claim: str = "sub",
        require_at_jwt: bool = False,
        jwks_url: str | None = None,
        ca_file: str | None = None,
        issuers: TrustedIssuers | Iterable[IssuerOptions] | None = None,
        authorization_url: str | None = None,
        token_url: str | None = None,
        openapi_scopes: Mapping[str, str] | None = None,
        swagger_client_id: str | None = None,
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        issuer: str | None = None,
        audience: str | Iterable[str] | None = None,
        *,
        user_model: type[Any] = OIDCUser,
        audience_claim: str = "aud",
        algorithms: Iterable[Algorithm | str] = ("RS256",),
        roles_claim: str | Iterable[str] = "roles",
        scopes_claim: str | Iterable[str] = ("scope", "scp"),
        subject_claim: str = "sub",
        require_at_jwt: bool = False,
        jwks_url: str | None = None,
        ca_file: str | None = None,
        issuers: TrustedIssuers | Iterable[IssuerOptions] | None = None,
        authorization_url: str | None = None,
        token_url: str | None = None,
        openapi_scopes: Mapping[str, str] | None = None,
        swagger_client_id: str | None = None,
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None:
        configured = _issuer_options(
            issuer,
            audience,
            issuers,
            audience_claim=audience_claim,
            algorithms=algorithms,
            roles_claim=roles_claim,
            scopes_claim=scopes_claim,
            subject_claim=subject_claim,
            require_at_jwt=require_at_jwt,
            jwks_url=jwks_url,
            ca_file=ca_file,
        )
        self._owns_issuers = not isinstance(configured, TrustedIssuers)
        self.issuers: TrustedIssuers = (
            configured
            if isinstance(configured, TrustedIssuers)
            else TrustedIssuers(configured, verified_cache_entries=_VERIFIED_CACHE)
        )
        # The provider Swagger UI logs in at: the first one configured.
        self._openapi_issuer = self.issuers.options[0]
        if (authorization_url is None) != (token_url is None):
            raise ValueError("authorization_url and token_url go together")
        self.endpoints: ProviderEndpoints | None = (
            ProviderEndpoints(authorization_url, token_url)
            if authorization_url is not None and token_url is not None
            else None
        )
        self.openapi_scopes: dict[str, str] = dict(openapi_scopes or {})
        self.swagger_client_id = swagger_client_id
        self.user_model: type[UserT] = user_model
        self.auto_error = auto_error
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description

    # --- OpenAPI ---

    @property
    def model(self) -> SecurityBaseModel:  # type: ignore[override]
        """The OpenAPI security scheme, read by FastAPI each time it builds the document."""
        if self.endpoints is not None:
            flow = OAuthFlowAuthorizationCode(
                authorizationUrl=self.endpoints.authorization_url,
                tokenUrl=self.endpoints.token_url,
                scopes=self.openapi_scopes,
            )
            return OAuth2Model(
                flows=OAuthFlows(authorizationCode=flow), description=self.description
            )
        issuer = self._openapi_issuer.issuer
        return OpenIdConnect(
            openIdConnectUrl=issuer.rstrip("/") + _DISCOVERY_PATH, description=self.description
        )

    @property
    def swagger_ui_init_oauth(self) -> dict[str, Any]:
        """``FastAPI(swagger_ui_init_oauth=...)``: Swagger UI logs in with authorization code
        and PKCE, as the client ``swagger_client_id``."""
        settings: dict[str, Any] = {"usePkceWithAuthorizationCodeGrant": True}
        if self.swagger_client_id:
            settings["clientId"] = self.swagger_client_id
        if self.openapi_scopes:
            settings["scopes"] = " ".join(self.openapi_scopes)
        return settings

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """``FastAPI(lifespan=bearer.lifespan)``: learns the provider's endpoints for the
        OpenAPI document from the core's discovery as soon as it lands, and stops the key
        fetching thread at shutdown (when this bearer made its :class:`~jwtfort.TrustedIssuers`).
        Compose it in a lifespan of your own with ``async with bearer.lifespan(app):``."""
        task = None
        if self.endpoints is None:
            task = asyncio.create_task(self._await_endpoints(app, self._openapi_issuer))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self._owns_issuers:
                self.issuers.close()

    async def _await_endpoints(self, app: FastAPI, options: IssuerOptions) -> None:
        """Polls the core's discovery metadata (no I/O) until it is there."""
        if options.jwks_url is not None:
            return  # keys from a configured URL: no discovery document to read endpoints from
        delay = _FIRST_POLL
        while True:
            if self.issuers.closed:  # a shared TrustedIssuers closed by its owner
                return
            metadata = self.issuers.metadata(options.issuer)
            if metadata is not None:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LAST_POLL)
        authorization, token = metadata.authorization_endpoint, metadata.token_endpoint
        if authorization is None or token is None:
            log.warning(
                "OpenAPI: the discovery document of %s has no usable authorization and token "
                "endpoints; pass authorization_url and token_url",
                options.issuer,
            )
            return
        self.endpoints = ProviderEndpoints(authorization, token)
        app.openapi_schema = None  # built again, with the endpoints

    # --- the dependency ---

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> UserT | None:
        """The user of the request's token, after the scopes of ``security_scopes`` are
        checked; None when there is no valid token and ``auto_error`` is off."""
        try:
            identity, user = self._authenticate(request)
        except InvalidToken as error:
            if self.auto_error:
                raise _refusal(error) from None
            return None
        except JWTError as error:  # keys unavailable: never anonymous
            raise _refusal(error) from None
        _require(security_scopes.scopes, set(identity.scopes), "scope")
        self._remember(request, identity)
        return user

    def identity(self, request: Request) -> IssuerIdentity | None:
        """The identity this bearer verified for ``request`` (None before it ran, or when there
        was none): its verified token, issuer and mapped claims."""
        verified: dict[OIDCBearer[Any], IssuerIdentity] = request.scope.get(_SCOPE_KEY, {})
        return verified.get(self)

    def requires_scopes(self, *scopes: str) -> Callable[..., Awaitable[UserT]]:
        """A dependency that requires every one of ``scopes`` (as mapped by ``scopes_claim``)
        and returns the user; the route's OpenAPI security requirement lists them. A missing
        token is a 401 even with ``auto_error`` off.

        Example::

            @app.get("/items", dependencies=[Depends(bearer.requires_scopes("items:read"))])
            def items() -> list[Item]: ...
        """

        async def dependency(
            request: Request, user: Annotated[Any, Security(self, scopes=list(scopes))]
        ) -> UserT:
            identity, checked = self._required(request, user)
            _require(scopes, set(identity.scopes), "scope")
            return checked

        return dependency

    def requires_roles(self, *roles: str) -> Callable[..., Awaitable[UserT]]:
        """A dependency that requires every one of ``roles`` (as mapped by ``roles_claim``) and
        returns the user; 403 ``insufficient_scope`` otherwise.

        Example::

            @app.get("/admin")
            def admin(user: Annotated[OIDCUser, Depends(bearer.requires_roles("admin"))]): ...
        """

        async def dependency(request: Request, user: Annotated[Any, Security(self)]) -> UserT:
            identity, checked = self._required(request, user)
            _require(roles, set(identity.roles), "role")
            return checked

        return dependency

    def close(self) -> None:
        """Stops the key fetching thread of the :class:`~jwtfort.TrustedIssuers` this bearer
        made (the lifespan does it at shutdown)."""
        if self._owns_issuers:
            self.issuers.close()

    def _authenticate(self, request: Request) -> tuple[IssuerIdentity, UserT]:
        identity = self.issuers.verify(_bearer_token(request))
        return identity, self._to_user(identity)

    def _required(self, request: Request, user: UserT | None) -> tuple[IssuerIdentity, UserT]:
        """The identity and user a requirement checks; with ``auto_error`` off the token is
        checked again, to refuse it with its own reason."""
        identity = self.identity(request)
        if user is not None and identity is not None:
            return identity, user
        try:
            identity, user = self._authenticate(request)
        except JWTError as error:
            raise _refusal(error) from None
        self._remember(request, identity)
        return identity, user

    def _remember(self, request: Request, identity: IssuerIdentity) -> None:
        request.scope.setdefault(_SCOPE_KEY, {})[self] = identity

    def _to_user(self, identity: IssuerIdentity) -> UserT:
        fields = {
            "subject": identity.subject,
            "issuer": identity.issuer,
            "client_id": identity.client_id,
            "roles": identity.roles,
            "scopes": identity.scopes,
            "claims": identity.claims,
        }
        try:
            return self.user_model.model_validate(fields)
        except ValidationError:
            # The token is the client's to fix, not the server's: refused like any bad token.
            raise InvalidClaim("the token's claims do not fit the user model") from None


def _issuer_options(
    issuer: str | None,
    audience: str | Iterable[str] | None,
    issuers: TrustedIssuers | Iterable[IssuerOptions] | None,
    **options: Any,
) -> TrustedIssuers | list[IssuerOptions]:
    """The issuers a bearer trusts: one given by ``issuer`` and ``audience``, or ``issuers``."""
    if issuers is not None:
        if issuer is not None or audience is not None:
            raise ValueError("give either issuer and audience, or issuers")
        if isinstance(issuers, TrustedIssuers):
            return issuers
        listed = list(issuers)
        if not listed:
            raise ValueError("issuers is empty")
        return listed
    if issuer is None or audience is None:
        raise ValueError("OIDCBearer needs issuer and audience (or issuers)")
    return [IssuerOptions(issuer=issuer, audience=audience, **options)]
