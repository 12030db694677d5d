"""The token service's verified-token cache as Python sees it: its counters, its bounds, and a
token that leaves when it expires. Time is the service's injected clock."""

from __future__ import annotations

import pytest

import jwtfort

NOW = 1_700_000_000


@pytest.fixture(scope="module")
def key() -> jwtfort.Key:
    return jwtfort.Key.generate("ES256")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_counts_hits_and_misses(key: jwtfort.Key) -> None:
    service = jwtfort.TokenService(key, verified_cache_entries=64)
    token = service.create_access_token("alice")
    assert service.cache_stats() == jwtfort.VerifiedCacheStats(0, 0, 0, 0, 0, 0)
    for _ in range(3):
        assert service.require_access(token).subject == "alice"
    stats = service.cache_stats()
    assert isinstance(stats, jwtfort.VerifiedCacheStats)
    assert (stats.hits, stats.misses, stats.evictions, stats.expired) == (2, 1, 0, 0)
    assert stats.entries == 1
    assert len(token) < stats.bytes < 4096


def test_a_service_without_a_cache_counts_nothing(key: jwtfort.Key) -> None:
    service = jwtfort.TokenService(key)
    service.require_access(service.create_access_token("alice"))
    assert service.cache_stats() == jwtfort.VerifiedCacheStats(0, 0, 0, 0, 0, 0)


def test_an_expired_token_leaves_the_cache(key: jwtfort.Key) -> None:
    clock = Clock()
    service = jwtfort.TokenService(key, verified_cache_entries=64, clock=clock)
    token = service.create_access_token("alice", lifetime=60)
    service.require_access(token)
    clock.now = NOW + 60
    with pytest.raises(jwtfort.ExpiredToken):
        service.require_access(token)
    stats = service.cache_stats()
    assert (stats.expired, stats.entries, stats.bytes) == (1, 0, 0)


def test_the_entry_bound_evicts_the_least_recently_used(key: jwtfort.Key) -> None:
    service = jwtfort.TokenService(key, verified_cache_entries=8)
    tokens = [service.create_access_token(f"user{i}") for i in range(9)]
    for token in tokens:
        service.require_access(token)
    stats = service.cache_stats()
    assert (stats.entries, stats.evictions, stats.misses) == (8, 1, 9)
    service.require_access(tokens[-1])
    assert service.cache_stats().hits == 1


def test_the_byte_bound_holds(key: jwtfort.Key) -> None:
    bound = 16 * 1024
    service = jwtfort.TokenService(
        key, verified_cache_entries=1000, verified_cache_bytes=bound, max_token_bytes=8192
    )
    padding = "x" * 3000
    for i in range(20):
        token = service.create_access_token(f"user{i}", extra_claims={"padding": padding})
        service.require_access(token)
        assert service.cache_stats().bytes <= bound
    stats = service.cache_stats()
    assert 0 < stats.entries < 20
    assert stats.evictions == 20 - stats.entries
