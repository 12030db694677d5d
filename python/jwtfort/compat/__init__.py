"""Drop-in modules for applications written against other FastAPI JWT extensions.

``jwtfort.compat.fastapi_jwt_auth`` stands in for ``fastapi_jwt_auth`` and
``jwtfort.compat.fastapi_auth_jwt`` for ``fastapi_auth_jwt``: an application moves by changing its
imports. They keep those libraries' names, messages and status codes, and the few legacy
behaviours their users' tests rely on; docs/migration.md lists each difference.
"""
