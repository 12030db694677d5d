"""``JWTBearer``: a FastAPI security dependency that turns a bearer token into a user model,
with role and scope requirements."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the dependencies made
# in requires_*(), and those refer to `self`, which a string annotation cannot reach.
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, Final, Generic, TypeVar, overload

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPBearer, SecurityScopes
from pydantic import BaseModel, ValidationError

from ..errors import (
    InsufficientScope,
    InvalidClaim,
    InvalidToken,
    JWTError,
    MalformedToken,
    MissingToken,
)
from ..tokens import TokenService
from ..verifier import VerifiedToken, Verifier
from ._authorization import credentials, granted_roles, granted_scopes, header_values
from ._challenge import challenge_for
from ._config import User

__all__ = ["JWTBearer"]

ModelT = TypeVar("ModelT", bound=BaseModel)

# Where a bearer leaves the token it verified, for the role check of the same request.
_SCOPE_KEY: Final = "jwtfort.verified_tokens"


class JWTBearer(HTTPBearer, Generic[ModelT]):
    """A dependency that verifies the bearer token and returns the user model built from its
    claims. OpenAPI shows the HTTP bearer scheme, so Swagger UI's Authorize button works.

    ``tokens`` checks the token: a :class:`~jwtfort.TokenService` (access tokens only, with
    revocation) or a :class:`~jwtfort.Verifier`. ``user_model`` is the pydantic model the
    claims are validated into (:class:`User`, which keeps every claim, by default).

    Failures answer through jwtfort's challenge table: 401 "Missing Authorization Header" with
    ``WWW-Authenticate: Bearer``, 400 for a header that is not ``Bearer <token>``, 401 "Invalid
    token" with ``error="invalid_token"`` (also when the claims do not fit ``user_model``), 403
    ``insufficient_scope``, 503 when the store is down. With ``auto_error=False``, a missing or
    invalid token gives None instead of a 400/401.

    ``Security(bearer, scopes=[...])`` requires every listed scope, read from the ``scope``
    claim (space-separated) and the ``scp`` claim (a list), and lists them in the route's
    OpenAPI security requirement.

    Example::

        bearer = JWTBearer(service, user_model=LoggedUser)

        @app.get("/me")
        def me(user: Annotated[LoggedUser, Depends(bearer)]) -> LoggedUser:
            return user

        @app.delete("/items/{id}", dependencies=[Depends(bearer.requires_roles("admin"))])
        def delete_item(id: int) -> None: ...
    """

    @overload
    def __init__(
        self: "JWTBearer[User]",
        tokens: TokenService | Verifier,
        *,
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        tokens: TokenService | Verifier,
        *,
        user_model: type[ModelT],
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        tokens: TokenService | Verifier,
        *,
        user_model: type[Any] = User,
        auto_error: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(
            bearerFormat="JWT",
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )
        self.tokens = tokens
        self.user_model: type[ModelT] = user_model

    async def __call__(  # type: ignore[override]
        self, request: Request, security_scopes: SecurityScopes
    ) -> ModelT | None:
        """The user of the request's token, after the scopes of ``security_scopes`` are
        checked; None when there is no valid token and ``auto_error`` is off."""
        try:
            token, user = self._authenticate(request)
        except InvalidToken as error:
            if self.auto_error:
                raise _refusal(error) from None
            return None
        except JWTError as error:  # store down, bad configuration: never anonymous
            raise _refusal(error) from None
        if security_scopes.scopes:  # none required: nothing to read from the claims
            _require(security_scopes.scopes, granted_scopes(token.claims), "scope")
        self._remember(request, token)
        return user

    def verified_token(self, request: Request) -> VerifiedToken | None:
        """The token this bearer verified for ``request`` (None before it ran, or when there
        was none), e.g. to revoke it at logout.

        Example::

            @app.post("/logout")
            def logout(request: Request, user: Annotated[User, Depends(bearer)]) -> None:
                service.revoke(bearer.verified_token(request))
        """
        verified: dict[JWTBearer[Any], VerifiedToken] = request.scope.get(_SCOPE_KEY, {})
        return verified.get(self)

    def requires_scopes(self, *scopes: str) -> Callable[..., Awaitable[ModelT]]:
        """A dependency that requires every one of ``scopes`` and returns the user; the route's
        OpenAPI security requirement lists them. A missing token is a 401 even with
        ``auto_error`` off.

        Example::

            @app.get("/items", dependencies=[Depends(bearer.requires_scopes("items:read"))])
            def items() -> list[Item]: ...
        """

        async def dependency(
            request: Request, user: Annotated[Any, Security(self, scopes=list(scopes))]
        ) -> ModelT:
            token, checked = self._required(request, user)
            _require(scopes, granted_scopes(token.claims), "scope")
            return checked

        return dependency

    def requires_roles(self, *roles: str, claim: str = "roles") -> Callable[..., Awaitable[ModelT]]:
        """A dependency that requires every one of ``roles`` in the ``claim`` claim (a list of
        names, or one name) and returns the user; 403 ``insufficient_scope`` otherwise.

        Example::

            @app.get("/admin")
            def admin(user: Annotated[User, Depends(bearer.requires_roles("admin"))]) -> ...: ...
        """

        async def dependency(request: Request, user: Annotated[Any, Security(self)]) -> ModelT:
            token, checked = self._required(request, user)
            _require(roles, granted_roles(token.claims, claim), "role")
            return checked

        return dependency

    def _authenticate(self, request: Request) -> tuple[VerifiedToken, ModelT]:
        token = self._check(_bearer_token(request))
        return token, self._to_user(token)

    def _required(self, request: Request, user: ModelT | None) -> tuple[VerifiedToken, ModelT]:
        """The token and user a requirement checks. Requirements need a user, even from a
        bearer whose ``auto_error`` is off: then the token is checked again, to refuse it with
        its own reason."""
        token = self.verified_token(request)
        if user is not None and token is not None:
            return token, user
        try:
            token, user = self._authenticate(request)
        except JWTError as error:
            raise _refusal(error) from None
        self._remember(request, token)
        return token, user

    def _remember(self, request: Request, token: VerifiedToken) -> None:
        request.scope.setdefault(_SCOPE_KEY, {})[self] = token

    def _check(self, token: str) -> VerifiedToken:
        if isinstance(self.tokens, TokenService):
            return self.tokens.require_access(token)
        return self.tokens.verify(token)

    def _to_user(self, token: VerifiedToken) -> ModelT:
        try:
            return self.user_model.model_validate(token.claims)
        except ValidationError:
            # The token is the client's to fix, not the server's: refused like any bad token.
            raise InvalidClaim("the token's claims do not fit the user model") from None


def _bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``, scheme in any case."""
    values = header_values(request, "authorization")
    if not values or not values[0]:
        raise MissingToken()
    token = credentials(values[0], "Bearer") if len(values) == 1 else None
    if token is None:
        raise MalformedToken("not 'Bearer <token>'", code="invalid_authorization_header")
    return token


def _require(required: Iterable[str], granted: set[str], what: str) -> None:
    """403 ``insufficient_scope`` unless every required scope or role is granted; the challenge
    lists the required scopes (roles are not OAuth scopes, so they are not listed)."""
    required = list(required)
    missing = [name for name in required if name not in granted]
    if missing:
        error = InsufficientScope(f"missing {what}: {' '.join(missing)}")
        listed = required if what == "scope" else ()
        raise challenge_for(error, scopes=listed).to_http_exception()


def _refusal(error: JWTError) -> HTTPException:
    return challenge_for(error).to_http_exception()
