"""Stands in for ``fastapi_auth_jwt.repository``, to say why there is none.

fastapi-auth-jwt kept every issued token in a cache (``BaseRepository``, ``LocalRepository``,
``RedisRepository``, ``RepositoryFactory``): a token was valid while its entry was. jwtfort
keeps only the revoked tokens' ids, in one of its own stores, so there is no cache to subclass
or replace, and a class with the same names that the backend never called would mislead.
"""

raise ImportError(
    "fastapi_auth_jwt.repository has no counterpart in jwtfort.compat.fastapi_auth_jwt: the "
    "backend keeps revoked token ids in a jwtfort store, chosen with storage_config= "
    "(StorageConfig(), RedisConfig(...), SQLiteConfig(path=...)); backend.cache is that "
    "jwtfort.store.Store"
)
