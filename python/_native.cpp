// python: this extension and the `jwtfort` package beside it. The extension uses the public
// headers of the http and store_url components only (src/ is not on its include path). In the
// package, the core's wrappers (keys, signer, verifier, tokens, store, errors) and the
// fastapi/ challenge table import _native; fastapi/ builds on the wrappers, compat/ on fastapi/.
//
// jwtfort._native: the keys, signer, verifier, stores and token service of the C++ libraries, for
// the `jwtfort` Python package.
//
// The binding stays plain (JSON as text, lifetimes as whole seconds, algorithms as JWS names);
// python/jwtfort turns it into the idiomatic API. Three rules hold for every function here:
// - every crypto and store call runs with the GIL released (`without_gil`), so Python threads
//   sign and verify in parallel;
// - a `jwtfort::error` becomes a Python exception in one place, `raise_error`, which takes the
//   class from the one table in jwtfort/errors.py;
// - no Python object is touched while the GIL is released: arguments are converted before, and
//   results after.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/clock.hpp"
#include "jwtfort/error.hpp"
#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_ring.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/service/trusted_issuers.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/token_store.hpp"
#include "jwtfort/token.hpp"
#include "jwtfort/verifier.hpp"
#include "jwtfort/version.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using jwtfort::errc;

// ---------------------------------------------------------------------------------------------
// Errors

// jwtfort.errors._from_native(code, value, message) -> JWTError. Looked up at import and never
// released: it must outlive every call, including those made while the interpreter shuts down.
nb::handle error_factory;

// The one translation of a `jwtfort::error` into a Python exception.
[[noreturn]] void raise_error(const jwtfort::error& e) {
  // Messages may quote input (a header member, an OpenSSL reason); never fail on its encoding.
  nb::object message = nb::steal(
      PyUnicode_DecodeUTF8(e.message.data(), static_cast<Py_ssize_t>(e.message.size()), "replace"));
  if (!message.is_valid()) throw nb::python_error();
  nb::object exc = error_factory(jwtfort::to_string(e.code), static_cast<int>(e.code), message);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw nb::python_error();
}

[[noreturn]] void raise_error(errc code, std::string message) {
  raise_error(jwtfort::error(code, std::move(message)));
}

// A Python clock that raised. The core cannot carry a Python exception, so the call that read
// the clock runs to its end and this error replaces its result. Kept per thread: the clock runs
// on the thread that made the call.
thread_local std::optional<nb::python_error> clock_failure;

void raise_clock_failure() {
  if (!clock_failure) return;
  nb::python_error e = std::move(*clock_failure);
  clock_failure.reset();
  throw e;
}

template <class T>
T value_of(jwtfort::result<T>&& r) {
  if (!r) raise_error(r.error());
  return std::move(r).value();
}

inline void value_of(jwtfort::result<void>&& r) {
  if (!r) raise_error(r.error());
}

template <class T>
T value_of(T&& plain) {
  return std::forward<T>(plain);
}

// Runs `f` with the GIL released; raises its error, or returns its value.
template <class F>
auto without_gil(F&& f) {
  auto r = [&] {
    nb::gil_scoped_release unlocked;
    return f();
  }();
  raise_clock_failure();
  return value_of(std::move(r));
}

// ---------------------------------------------------------------------------------------------
// Arguments

// Tokens, secrets, PEM and JSON arrive as str (sent as UTF-8) or bytes (sent as they are).
using text = std::variant<nb::bytes, nb::str>;

// A view of the argument's bytes, valid while the argument lives (the whole call).
std::string_view view(const text& t) {
  if (const auto* b = std::get_if<nb::bytes>(&t)) return {b->c_str(), b->size()};
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(std::get<nb::str>(t).ptr(), &size);
  if (!data) throw nb::python_error();  // lone surrogates
  return {data, static_cast<std::size_t>(size)};
}

jwtfort::algorithm algorithm_named(std::string_view name) {
  if (auto alg = jwtfort::algorithm_from_string(name)) return *alg;
  raise_error(errc::unsupported_algorithm, "unknown algorithm \"" + std::string(name) + "\"");
}

std::vector<jwtfort::algorithm> algorithms_named(const std::vector<std::string>& names) {
  std::vector<jwtfort::algorithm> out;
  for (const auto& name : names) out.push_back(algorithm_named(name));
  return out;
}

jwtfort::token_type token_type_named(std::string_view name) {
  if (name == "access") return jwtfort::token_type::access;
  if (name == "refresh") return jwtfort::token_type::refresh;
  raise_error(errc::invalid_configuration,
              "token type must be \"access\" or \"refresh\", not \"" + std::string(name) + "\"");
}

std::chrono::milliseconds milliseconds_of(double seconds, std::string_view what) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 86400.0 * 365)
    raise_error(errc::invalid_configuration, std::string(what) + " must be 0..1 year in seconds");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

// ---------------------------------------------------------------------------------------------
// Clocks

// What a clock that raised answers: the end of JWT time (9999-12-31), at which every token with
// an `exp` has expired, so the call it spoils fails closed before its error is raised.
constexpr std::int64_t clock_failed_now = 253402300799;

// Whole seconds since the epoch from an int or a float such as `time.time()`. Raises a Python
// error (TypeError, ValueError, OverflowError) for anything else.
std::int64_t seconds_of(nb::handle value) {
  if (PyFloat_Check(value.ptr())) {
    double s = std::floor(PyFloat_AS_DOUBLE(value.ptr()));
    if (std::isfinite(s) && std::fabs(s) < 1e15) return static_cast<std::int64_t>(s);
    PyErr_SetString(PyExc_ValueError, "clock out of range");
    throw nb::python_error();
  }
  if (!PyLong_Check(value.ptr())) {
    PyErr_SetString(PyExc_TypeError, "a clock answers an int or a float");
    throw nb::python_error();
  }
  long long s = PyLong_AsLongLong(value.ptr());
  if (s == -1 && PyErr_Occurred()) throw nb::python_error();
  return s;
}

// A Python callable behind a core clock. The core copies and drops its clock functions freely,
// with or without the GIL, so they share this source, whose last owner takes the GIL to release
// it. The native object that owns the clock also shows the callable to the garbage collector
// (`clock_slots`): a clock whose globals lead back to its verifier is then a cycle Python can
// collect, not a leak.
struct clock_source {
  nb::object callable;  // reset when the owner is collected
};

jwtfort::clock python_clock(std::shared_ptr<clock_source> source) {
  return [source = std::move(source)]() -> std::int64_t {
    nb::gil_scoped_acquire locked;
    try {
      if (!source->callable.is_valid()) {
        PyErr_SetString(PyExc_RuntimeError, "the clock was collected");
        throw nb::python_error();
      }
      return seconds_of(source->callable());
    } catch (nb::python_error& e) {
      if (!clock_failure) clock_failure.emplace(std::move(e));
    }
    return clock_failed_now;
  };
}

// A core object and the Python clock it reads, if it reads one.
template <class T>
struct clocked {
  T impl;
  std::shared_ptr<clock_source> source;
};

// None: the system clock; an int: that instant, always; a callable: asked every time, and kept
// in `source` for the object that owns the clock.
jwtfort::clock clock_from(nb::handle clock, std::shared_ptr<clock_source>& source) {
  if (clock.is_none()) return jwtfort::system_now;
  if (PyLong_Check(clock.ptr())) return jwtfort::fixed_clock(seconds_of(clock));
  if (!PyCallable_Check(clock.ptr())) {
    PyErr_SetString(PyExc_TypeError, "clock must be None, an int, or a callable returning seconds");
    throw nb::python_error();
  }
  source.reset(new clock_source{nb::borrow(clock)}, [](clock_source* s) {
    nb::gil_scoped_acquire locked;
    delete s;
  });
  return python_clock(source);
}

template <class T>
int clock_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  if (const auto& source = nb::inst_ptr<clocked<T>>(self)->source) Py_VISIT(source->callable.ptr());
  return 0;
}

template <class T>
int clock_clear(PyObject* self) {
  if (!nb::inst_ready(self)) return 0;
  if (const auto& source = nb::inst_ptr<clocked<T>>(self)->source) source->callable.reset();
  return 0;
}

template <class T>
PyType_Slot clock_slots[] = {{Py_tp_traverse, reinterpret_cast<void*>(clock_traverse<T>)},
                             {Py_tp_clear, reinterpret_cast<void*>(clock_clear<T>)},
                             {0, nullptr}};

// ---------------------------------------------------------------------------------------------
// Keys

void bind_keys(nb::module_& m) {
  using jwtfort::key;
  nb::class_<key>(m, "Key")
      .def_static(
          "generate",
          [](std::string_view alg, unsigned rsa_bits) {
            auto a = algorithm_named(alg);
            return without_gil([&] { return key::generate(a, rsa_bits); });
          },
          "alg"_a, "rsa_bits"_a)
      .def_static(
          "from_secret",
          [](const text& secret, std::string_view alg) {
            auto a = algorithm_named(alg);
            return without_gil([&, s = view(secret)] { return key::from_secret(s, a); });
          },
          "secret"_a, "alg"_a)
      .def_static(
          "from_weak_secret_unsafe",
          [](const text& secret, std::string_view alg) {
            auto a = algorithm_named(alg);
            return without_gil(
                [&, s = view(secret)] { return key::from_weak_secret_unsafe(s, a); });
          },
          "secret"_a, "alg"_a)
      .def_static(
          "from_pem",
          [](const text& pem, std::string_view alg) {
            auto a = algorithm_named(alg);
            return without_gil([&, p = view(pem)] { return key::from_pem(p, a); });
          },
          "pem"_a, "alg"_a)
      .def_static(
          "from_legacy_pem_unsafe",
          [](const text& pem, std::string_view alg) {
            auto a = algorithm_named(alg);
            return without_gil([&, p = view(pem)] { return key::from_legacy_pem_unsafe(p, a); });
          },
          "pem"_a, "alg"_a)
      .def_static(
          "from_jwk",
          [](const text& jwk, std::optional<std::string_view> alg) {
            std::optional<jwtfort::algorithm> a;
            if (alg) a = algorithm_named(*alg);
            return without_gil(
                [&, j = view(jwk)] { return a ? key::from_jwk(j, *a) : key::from_jwk(j); });
          },
          "jwk"_a, "alg"_a.none())
      .def_prop_ro("alg", [](const key& k) { return jwtfort::to_string(k.alg()); })
      .def_prop_ro("id", &key::id)
      .def_prop_ro("can_sign", &key::can_sign)
      .def_prop_ro("is_symmetric", &key::is_symmetric)
      .def_prop_ro("bits", &key::bits)
      .def("with_id", &key::with_id, "kid"_a)
      .def(
          "accepts",
          [](const key& k, std::string_view alg) {
            auto a = jwtfort::algorithm_from_string(alg);
            return a && k.accepts(*a);
          },
          "alg"_a)
      .def("thumbprint", [](const key& k) { return without_gil([&] { return k.thumbprint(); }); })
      .def("to_public_jwk",
           [](const key& k) { return without_gil([&] { return k.to_public_jwk(); }); })
      .def("to_private_jwk",
           [](const key& k) { return without_gil([&] { return k.to_private_jwk(); }); })
      .def("to_public_pem",
           [](const key& k) { return without_gil([&] { return k.to_public_pem(); }); });

  using jwtfort::key_set;
  nb::class_<key_set>(m, "KeySet")
      .def(nb::init<>())
      .def_static(
          "from_jwks",
          [](const text& jwks) {
            return without_gil([j = view(jwks)] { return key_set::from_jwks(j); });
          },
          "jwks"_a)
      .def(
          "add", [](key_set& s, const key& k) { value_of(s.add(k)); }, "key"_a)
      .def(
          "find",
          [](const key_set& s, std::optional<std::string_view> kid, std::string_view alg) {
            return key(*value_of(s.find(kid, algorithm_named(alg))));
          },
          "kid"_a.none(), "alg"_a)
      .def("to_jwks", [](const key_set& s) { return without_gil([&] { return s.to_jwks(); }); })
      .def_prop_ro("keys", [](const key_set& s) { return s.keys(); })
      .def("__len__", &key_set::size);

  using jwtfort::key_ring;
  nb::class_<key_ring>(m, "KeyRing")
      .def_static(
          "from_key",  // a key without an id gets its thumbprint
          [](const key& k) { return without_gil([&] { return key_ring::from_key(k); }); }, "key"_a)
      .def_static(
          "from_jwks",
          [](const text& jwks) {
            return without_gil([j = view(jwks)] { return key_ring::from_jwks(j); });
          },
          "private_jwks"_a)
      .def(
          "add_verification_key",
          [](key_ring& r, const key& k) { value_of(r.add_verification_key(k)); }, "key"_a)
      .def(
          "rotated",  // generates a key
          [](const key_ring& r, std::size_t keep) {
            return without_gil([&] { return r.rotated(keep); });
          },
          "keep"_a)
      .def_prop_ro("active", [](const key_ring& r) { return r.active(); })
      .def_prop_ro("keys", [](const key_ring& r) { return r.keys(); })
      .def("to_public_jwks",
           [](const key_ring& r) { return without_gil([&] { return r.to_public_jwks(); }); })
      .def("to_private_jwks",
           [](const key_ring& r) { return without_gil([&] { return r.to_private_jwks(); }); });
}

// ---------------------------------------------------------------------------------------------
// Signing and verification

jwtfort::header_options header_from(std::string typ, std::string extra_json) {
  return {.type = std::move(typ), .extra_json = std::move(extra_json)};
}

void bind_signer_and_verifier(nb::module_& m) {
  using jwtfort::signer;
  nb::class_<signer>(m, "Signer")
      .def(
          "__init__",
          [](signer* self, const jwtfort::key& k) {
            new (self) signer(value_of(signer::create(k)));
          },
          "key"_a)
      .def(
          "sign_json",
          [](const signer& s, const text& claims_json, std::string typ,
             std::string extra_header_json) {
            auto header = header_from(std::move(typ), std::move(extra_header_json));
            return without_gil([&, c = view(claims_json)] { return s.sign_json(c, header); });
          },
          "claims_json"_a, nb::kw_only(), "typ"_a, "extra_header_json"_a)
      .def_prop_ro("key", [](const signer& s) { return s.signing_key(); });

  using jwtfort::verified_token;
  // No constructor: a verified token comes only from a verifier or the token service.
  nb::class_<verified_token>(m, "VerifiedToken")
      .def_prop_ro("alg", [](const verified_token& t) { return jwtfort::to_string(t.alg()); })
      .def_prop_ro("key_id", &verified_token::key_id)
      .def_prop_ro("header_json", &verified_token::header_json)
      .def_prop_ro("claims_json", &verified_token::claims_json)
      // string_claim, not subject(): an absent claim is None, not "".
      .def_prop_ro("subject", [](const verified_token& t) { return t.string_claim("sub"); })
      .def_prop_ro("issuer", [](const verified_token& t) { return t.string_claim("iss"); })
      .def_prop_ro("jwt_id", [](const verified_token& t) { return t.string_claim("jti"); })
      .def_prop_ro("expires_at", &verified_token::expires_at)
      .def_prop_ro("not_before", &verified_token::not_before)
      .def_prop_ro("issued_at", &verified_token::issued_at);

  using clocked_verifier = clocked<jwtfort::verifier>;
  nb::class_<clocked_verifier>(m, "Verifier", nb::type_slots(clock_slots<jwtfort::verifier>))
      .def(
          "__init__",
          [](clocked_verifier* self, const std::vector<std::string>& algorithms,
             const jwtfort::key_set& keys, std::optional<std::string> issuer,
             std::vector<std::string> audiences, bool ignore_audience,
             std::optional<std::string> typ, std::vector<std::string> required_claims,
             std::int64_t leeway, std::vector<std::string> understood_critical,
             std::size_t max_token_bytes, nb::handle clock) {
            jwtfort::verifier_options o;
            o.algorithms = algorithms_named(algorithms);
            o.keys = keys;
            o.issuer = std::move(issuer);
            o.audiences = std::move(audiences);
            o.ignore_audience = ignore_audience;
            o.type = std::move(typ);
            o.required_claims = std::move(required_claims);
            o.leeway_seconds = leeway;
            o.understood_critical = std::move(understood_critical);
            o.max_token_bytes = max_token_bytes;
            std::shared_ptr<clock_source> source;
            o.clock = clock_from(clock, source);
            new (self) clocked_verifier{value_of(jwtfort::verifier::create(std::move(o))), source};
          },
          nb::kw_only(), "algorithms"_a, "keys"_a, "issuer"_a.none(), "audiences"_a,
          "ignore_audience"_a, "typ"_a.none(), "required_claims"_a, "leeway"_a,
          "understood_critical"_a, "max_token_bytes"_a, "clock"_a.none())
      .def(
          "verify",
          [](const clocked_verifier& v, const text& token) {
            return without_gil([&, t = view(token)] { return v.impl.verify(t); });
          },
          "token"_a);

  m.def(
      "decode_unverified",
      [](const text& token) {
        auto t = value_of(jwtfort::unverified_token::decode(view(token)));
        return std::make_pair(t.header_json(), t.payload_json());
      },
      "token"_a, "The header and payload JSON of a token, without any verification.");
}

// ---------------------------------------------------------------------------------------------
// Stores and the token service

// A store shared by the Python object and the token services built on it.
struct store {
  std::shared_ptr<jwtfort::token_store> impl;
};

nb::dict stats_dict(const jwtfort::store_stats& s) {
  nb::dict d;
  d["revoked_tokens"] = s.revoked_tokens;
  d["revoked_subjects"] = s.revoked_subjects;
  d["revoked_families"] = s.revoked_families;
  d["used_refresh_tokens"] = s.used_refresh_tokens;
  return d;
}

nb::dict stats_dict(const jwtfort::verified_cache_stats& s) {
  nb::dict d;
  d["hits"] = s.hits;
  d["misses"] = s.misses;
  d["evictions"] = s.evictions;
  d["expired"] = s.expired;
  d["entries"] = s.entries;
  d["bytes"] = s.bytes;
  return d;
}

void bind_store(nb::module_& m) {
  nb::class_<store>(m, "Store")
      .def(
          "purge_expired",
          [](store& s, std::optional<std::int64_t> now) {
            std::int64_t at = now ? *now : jwtfort::system_now();
            return without_gil([&] { return s.impl->purge_expired(at); });
          },
          "now"_a.none() = nb::none())
      .def("stats",
           [](const store& s) { return stats_dict(without_gil([&] { return s.impl->stats(); })); });

  m.def(
      "open_store",
      [](std::string_view url, bool fail_open, double purge_interval, double sync_interval,
         double redis_timeout, std::string redis_prefix) {
        jwtfort::store_options o;
        o.fail_open = fail_open;
        o.purge_interval = milliseconds_of(purge_interval, "purge_interval");
        o.sync_interval = milliseconds_of(sync_interval, "sync_interval");
        o.redis_timeout = milliseconds_of(redis_timeout, "redis_timeout");
        o.redis_prefix = std::move(redis_prefix);
        auto opened = without_gil([&] { return jwtfort::open_store(url, std::move(o)); });
        return store{std::shared_ptr<jwtfort::token_store>(std::move(opened))};
      },
      "url"_a, nb::kw_only(), "fail_open"_a, "purge_interval"_a, "sync_interval"_a,
      "redis_timeout"_a, "redis_prefix"_a);
}

jwtfort::token_request request_from(std::string subject, bool fresh,
                                    std::optional<std::int64_t> lifetime, bool never_expires,
                                    std::vector<std::string> audience,
                                    std::string extra_claims_json, std::string typ,
                                    std::string extra_header_json) {
  return {.subject = std::move(subject),
          .fresh = fresh,
          .lifetime = lifetime,
          .never_expires = never_expires,
          .audience = std::move(audience),
          .extra_claims_json = std::move(extra_claims_json),
          .header = header_from(std::move(typ), std::move(extra_header_json))};
}

using clocked_service = clocked<jwtfort::token_service>;

// create_access_token and create_refresh_token take the same arguments.
template <auto create>
auto token_creator() {
  return [](const clocked_service& service, std::string subject, bool fresh,
            std::optional<std::int64_t> lifetime, bool never_expires,
            std::vector<std::string> audience, std::string extra_claims_json, std::string typ,
            std::string extra_header_json) {
    auto request =
        request_from(std::move(subject), fresh, lifetime, never_expires, std::move(audience),
                     std::move(extra_claims_json), std::move(typ), std::move(extra_header_json));
    return without_gil([&] { return (service.impl.*create)(request); });
  };
}

// require_access, require_fresh and require_refresh: a token in, a verified token out.
template <auto require>
auto token_checker() {
  return [](const clocked_service& service, const text& token) {
    return without_gil([&, t = view(token)] { return (service.impl.*require)(t); });
  };
}

clocked_service make_service(
    const jwtfort::key_ring& keys, const store* s, const std::vector<std::string>& algorithms,
    std::optional<std::int64_t> access_lifetime, std::optional<std::int64_t> refresh_lifetime,
    std::optional<std::string> encode_issuer, std::optional<std::string> decode_issuer,
    std::vector<std::string> audiences, std::int64_t leeway, bool csrf_claim,
    const std::vector<std::string>& revocation_checks, std::int64_t reuse_grace,
    std::size_t max_token_bytes, std::size_t verified_cache_entries,
    std::size_t verified_cache_bytes, nb::handle clock) {
  jwtfort::token_service_options o;
  o.algorithms = algorithms_named(algorithms);
  o.access_lifetime = access_lifetime;
  o.refresh_lifetime = refresh_lifetime;
  o.encode_issuer = std::move(encode_issuer);
  o.decode_issuer = std::move(decode_issuer);
  o.audiences = std::move(audiences);
  o.leeway_seconds = leeway;
  o.csrf_claim = csrf_claim;
  if (s) o.store = s->impl;
  o.revocation_checks.clear();
  for (const auto& name : revocation_checks) o.revocation_checks.push_back(token_type_named(name));
  o.reuse_grace_seconds = reuse_grace;
  o.max_token_bytes = max_token_bytes;
  o.verified_cache_entries = verified_cache_entries;
  o.verified_cache_bytes = verified_cache_bytes;
  std::shared_ptr<clock_source> source;
  o.clock = clock_from(clock, source);
  return {value_of(jwtfort::token_service::create(keys, std::move(o))), source};
}

void bind_token_service(nb::module_& m) {
  using jwtfort::token_service;
  nb::class_<clocked_service>(m, "TokenService", nb::type_slots(clock_slots<token_service>))
      .def(
          "__init__",
          [](clocked_service* self, const jwtfort::key_ring& keys, const store* s,
             const std::vector<std::string>& algorithms,
             std::optional<std::int64_t> access_lifetime,
             std::optional<std::int64_t> refresh_lifetime, std::optional<std::string> encode_issuer,
             std::optional<std::string> decode_issuer, std::vector<std::string> audiences,
             std::int64_t leeway, bool csrf_claim,
             const std::vector<std::string>& revocation_checks, std::int64_t reuse_grace,
             std::size_t max_token_bytes, std::size_t verified_cache_entries, nb::handle clock,
             std::size_t verified_cache_bytes) {
            new (self) clocked_service(make_service(
                keys, s, algorithms, access_lifetime, refresh_lifetime, std::move(encode_issuer),
                std::move(decode_issuer), std::move(audiences), leeway, csrf_claim,
                revocation_checks, reuse_grace, max_token_bytes, verified_cache_entries,
                verified_cache_bytes, clock));
          },
          "keys"_a, nb::kw_only(), "store"_a.none(), "algorithms"_a, "access_lifetime"_a.none(),
          "refresh_lifetime"_a.none(), "encode_issuer"_a.none(), "decode_issuer"_a.none(),
          "audiences"_a, "leeway"_a, "csrf_claim"_a, "revocation_checks"_a, "reuse_grace"_a,
          "max_token_bytes"_a, "verified_cache_entries"_a, "clock"_a.none(),
          "verified_cache_bytes"_a = jwtfort::token_service_options{}.verified_cache_bytes)
      .def("cache_stats",
           [](const clocked_service& service) { return stats_dict(service.impl.cache_stats()); })
      .def("create_access_token", token_creator<&token_service::create_access_token>(), "subject"_a,
           nb::kw_only(), "fresh"_a, "lifetime"_a.none(), "never_expires"_a, "audience"_a,
           "extra_claims_json"_a, "typ"_a, "extra_header_json"_a)
      .def("create_refresh_token", token_creator<&token_service::create_refresh_token>(),
           "subject"_a, nb::kw_only(), "fresh"_a, "lifetime"_a.none(), "never_expires"_a,
           "audience"_a, "extra_claims_json"_a, "typ"_a, "extra_header_json"_a)
      .def(
          "create_token_pair",
          [](const clocked_service& service, std::string subject, bool fresh,
             std::optional<std::int64_t> lifetime, bool never_expires,
             std::vector<std::string> audience, std::string extra_claims_json, std::string typ,
             std::string extra_header_json) {
            auto request = request_from(std::move(subject), fresh, lifetime, never_expires,
                                        std::move(audience), std::move(extra_claims_json),
                                        std::move(typ), std::move(extra_header_json));
            auto pair = without_gil([&] { return service.impl.create_token_pair(request); });
            return std::make_pair(std::move(pair.access_token), std::move(pair.refresh_token));
          },
          "subject"_a, nb::kw_only(), "fresh"_a, "lifetime"_a.none(), "never_expires"_a,
          "audience"_a, "extra_claims_json"_a, "typ"_a, "extra_header_json"_a)
      .def("require_access", token_checker<&token_service::require_access>(), "token"_a)
      .def("require_fresh", token_checker<&token_service::require_fresh>(), "token"_a)
      .def("require_refresh", token_checker<&token_service::require_refresh>(), "token"_a)
      .def(
          "optional_access",
          [](const clocked_service& service, const text& token) {
            return without_gil([&, t = view(token)] { return service.impl.optional_access(t); });
          },
          "token"_a)
      .def(
          "refresh",
          [](const clocked_service& service, const text& token) {
            auto pair = without_gil([&, t = view(token)] { return service.impl.refresh(t); });
            return std::make_pair(std::move(pair.access_token), std::move(pair.refresh_token));
          },
          "token"_a)
      .def(
          "revoke",
          [](const clocked_service& service, const jwtfort::verified_token& token) {
            without_gil([&] { return service.impl.revoke(token); });
          },
          "token"_a)
      .def(
          "revoke_subject",
          [](const clocked_service& service, std::string_view subject) {
            without_gil([&] { return service.impl.revoke_subject(subject); });
          },
          "subject"_a);
}

// ---------------------------------------------------------------------------------------------
// Trusted issuers (OpenID Connect providers)
//
// The core's background thread does every fetch; it never runs Python. Its events wait in a
// bounded queue until a Python thread takes them (`take_events`, and after each `verify`), so
// no GIL is ever acquired from that thread: at interpreter shutdown such a thread would hang,
// and the destructor that joins it would hang with it.

std::chrono::seconds whole_seconds_of(std::int64_t seconds, std::string_view what) {
  if (seconds < 0 || seconds > 86400LL * 365)
    raise_error(errc::invalid_configuration, std::string(what) + " must be 0..1 year in seconds");
  return std::chrono::seconds(seconds);
}

jwtfort::issuer_options issuer_options_from(
    std::string issuer, std::vector<std::string> audiences, std::string audience_claim,
    const std::vector<std::string>& algorithms, std::string jwks_url, bool require_at_jwt,
    std::vector<std::string> roles_claims, std::vector<std::string> scopes_claims,
    std::string subject_claim, std::int64_t leeway, std::int64_t refresh_interval,
    std::int64_t min_refresh_interval, std::int64_t max_key_age, std::size_t max_bytes,
    double timeout, std::string ca_file) {
  jwtfort::issuer_options o;
  o.issuer = std::move(issuer);
  o.audiences = std::move(audiences);
  o.audience_claim = std::move(audience_claim);
  o.algorithms = algorithms_named(algorithms);
  o.jwks_url = std::move(jwks_url);
  o.require_at_jwt = require_at_jwt;
  o.claims.roles = std::move(roles_claims);
  o.claims.scopes = std::move(scopes_claims);
  o.claims.subject = std::move(subject_claim);
  o.leeway_seconds = leeway;
  o.refresh_interval = whole_seconds_of(refresh_interval, "refresh_interval");
  o.min_refresh_interval = whole_seconds_of(min_refresh_interval, "min_refresh_interval");
  o.max_key_age = whole_seconds_of(max_key_age, "max_key_age");
  o.max_bytes = max_bytes;
  o.timeout = milliseconds_of(timeout, "timeout");
  o.ca_file = std::move(ca_file);
  return o;
}

std::string_view event_kind_name(jwtfort::issuer_event::kind kind) {
  using k = jwtfort::issuer_event::kind;
  switch (kind) {
    case k::discovery_ok: return "discovery_ok";
    case k::discovery_failed: return "discovery_failed";
    case k::jwks_ok: return "jwks_ok";
    case k::jwks_failed: return "jwks_failed";
  }
  return "unknown";
}

// Events from the background thread, held for the next Python thread that looks.
struct event_queue {
  static constexpr std::size_t capacity = 256;  // the core reports each distinct failure once
  std::mutex mutex;
  std::deque<jwtfort::issuer_event> events;
  std::atomic<bool> pending{false};

  void push(const jwtfort::issuer_event& e) {
    std::lock_guard lock(mutex);
    if (events.size() == capacity) events.pop_front();
    events.push_back(e);
    pending.store(true, std::memory_order_release);
  }

  std::deque<jwtfort::issuer_event> take() {
    std::lock_guard lock(mutex);
    pending.store(false, std::memory_order_relaxed);
    return std::exchange(events, {});
  }
};

// (issuer, kind, error code name, detail) per event, oldest first.
using event_tuple = std::tuple<std::string, std::string_view, std::string_view, std::string>;

std::vector<event_tuple> tuples_of(std::deque<jwtfort::issuer_event> events) {
  std::vector<event_tuple> out;
  for (auto& e : events) {
    std::string_view code = e.error == errc{} ? std::string_view{} : jwtfort::to_string(e.error);
    out.emplace_back(std::move(e.issuer), event_kind_name(e.what), code, std::move(e.detail));
  }
  return out;
}

// The Python object. Only threads holding the GIL read or reset `impl`: a call copies it
// before releasing the GIL, so `close()` on one thread never pulls the object from under a
// `verify()` running on another; the last copy stops the background thread.
struct issuers_handle {
  std::shared_ptr<jwtfort::trusted_issuers> impl;
  std::shared_ptr<event_queue> queue;

  std::shared_ptr<jwtfort::trusted_issuers> get() const {
    if (!impl) raise_error(errc::invalid_configuration, "the trusted issuers were closed");
    return impl;
  }

  // Stops the background thread without the GIL: it may be finishing a fetch (bounded by the
  // fetch timeout).
  void close() {
    auto last = std::move(impl);
    nb::gil_scoped_release unlocked;
    last.reset();
  }

  ~issuers_handle() {
    if (impl) close();
  }
};

nb::dict stats_dict(const jwtfort::issuer_stats& s) {
  nb::dict d;
  d["issuer"] = s.issuer;
  d["fetches"] = s.fetches;
  d["fetch_failures"] = s.fetch_failures;
  d["accepted"] = s.accepted;
  d["rejected"] = s.rejected;
  d["ready"] = s.ready;
  return d;
}

void bind_trusted_issuers(nb::module_& m) {
  using jwtfort::issuer_options;
  nb::class_<issuer_options>(m, "IssuerOptions")
      .def(
          "__init__",
          [](issuer_options* self, std::string issuer, std::vector<std::string> audiences,
             std::string audience_claim, const std::vector<std::string>& algorithms,
             std::string jwks_url, bool require_at_jwt, std::vector<std::string> roles_claims,
             std::vector<std::string> scopes_claims, std::string subject_claim, std::int64_t leeway,
             std::int64_t refresh_interval, std::int64_t min_refresh_interval,
             std::int64_t max_key_age, std::size_t max_bytes, double timeout, std::string ca_file) {
            new (self) issuer_options(issuer_options_from(
                std::move(issuer), std::move(audiences), std::move(audience_claim), algorithms,
                std::move(jwks_url), require_at_jwt, std::move(roles_claims),
                std::move(scopes_claims), std::move(subject_claim), leeway, refresh_interval,
                min_refresh_interval, max_key_age, max_bytes, timeout, std::move(ca_file)));
          },
          nb::kw_only(), "issuer"_a, "audiences"_a, "audience_claim"_a, "algorithms"_a,
          "jwks_url"_a, "require_at_jwt"_a, "roles_claims"_a, "scopes_claims"_a, "subject_claim"_a,
          "leeway"_a, "refresh_interval"_a, "min_refresh_interval"_a, "max_key_age"_a,
          "max_bytes"_a, "timeout"_a, "ca_file"_a)
      .def_ro("issuer", &issuer_options::issuer);

  using jwtfort::issuer_identity;
  // No constructor: an identity comes only from TrustedIssuers.verify.
  nb::class_<issuer_identity>(m, "IssuerIdentity")
      .def_ro("token", &issuer_identity::token)
      .def_ro("issuer", &issuer_identity::issuer)
      .def_ro("subject", &issuer_identity::subject)
      .def_ro("client_id", &issuer_identity::client_id)
      .def_ro("roles", &issuer_identity::roles)
      .def_ro("scopes", &issuer_identity::scopes);

  nb::class_<issuers_handle>(m, "TrustedIssuers")
      .def(
          "__init__",
          [](issuers_handle* self, std::vector<issuer_options> issuers,
             std::optional<std::int64_t> clock, std::size_t verified_cache_entries,
             std::size_t verified_cache_bytes) {
            jwtfort::trusted_issuers_options o;
            o.issuers = std::move(issuers);
            o.verified_cache_entries = verified_cache_entries;
            o.verified_cache_bytes = verified_cache_bytes;
            // A fixed instant or the system clock: a Python clock would be read on the
            // background thread, which never takes the GIL.
            if (clock) o.clock = jwtfort::fixed_clock(*clock);
            auto queue = std::make_shared<event_queue>();
            o.on_event = [queue](const jwtfort::issuer_event& e) { queue->push(e); };
            auto created =
                without_gil([&] { return jwtfort::trusted_issuers::create(std::move(o)); });
            new (self) issuers_handle{std::move(created), std::move(queue)};
          },
          "issuers"_a, nb::kw_only(), "clock"_a.none(), "verified_cache_entries"_a = 0,
          "verified_cache_bytes"_a = 16 * 1024 * 1024)
      .def("cache_stats",
           [](const issuers_handle& h) { return stats_dict(h.get()->cache_stats()); })
      .def(
          "verify",
          [](const issuers_handle& h, const text& token) {
            auto impl = h.get();
            return without_gil([&, t = view(token)] { return impl->verify(t); });
          },
          "token"_a)
      .def(
          "knows_issuer_of",
          [](const issuers_handle& h, const text& token) {
            auto impl = h.get();
            return without_gil([&, t = view(token)] { return impl->knows_issuer_of(t); });
          },
          "token"_a)
      .def(
          "wait_until_ready",
          [](const issuers_handle& h, double timeout) {
            auto impl = h.get();
            auto limit = milliseconds_of(timeout, "timeout");
            return without_gil([&] { return impl->wait_until_ready(limit); });
          },
          "timeout"_a)
      .def("stats",
           [](const issuers_handle& h) {
             auto impl = h.get();
             auto all = without_gil([&] { return impl->stats(); });
             std::vector<nb::dict> out;
             for (const auto& s : all) out.push_back(stats_dict(s));
             return out;
           })
      .def(
          "metadata",
          [](const issuers_handle& h, const std::string& issuer) -> std::optional<nb::dict> {
            auto impl = h.get();
            auto m = impl->metadata(issuer);  // a copy under a short lock, no I/O
            if (!m) return std::nullopt;
            nb::dict d;
            d["issuer"] = m->issuer;
            d["jwks_uri"] = m->jwks_uri;
            d["authorization_endpoint"] = m->authorization_endpoint;
            d["token_endpoint"] = m->token_endpoint;
            return d;
          },
          "issuer"_a,
          "The issuer's discovery metadata (issuer, jwks_uri, authorization_endpoint, "
          "token_endpoint) once discovery succeeded, else None.")
      .def_prop_ro(
          "has_events",
          [](const issuers_handle& h) { return h.queue->pending.load(std::memory_order_acquire); })
      .def(
          "take_events", [](const issuers_handle& h) { return tuples_of(h.queue->take()); },
          "(issuer, kind, error code or '', detail) of what the background thread reported "
          "since the last call, oldest first.")
      .def("close", [](issuers_handle& h) { h.close(); })
      .def_prop_ro("closed", [](const issuers_handle& h) { return !h.impl; });
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

void bind_names(nb::module_& m) {
  m.def(
      "algorithms",
      [] {
        std::vector<std::string_view> names;
        for (auto alg : jwtfort::all_algorithms) names.push_back(jwtfort::to_string(alg));
        return names;
      },
      "Every JWS algorithm name, in the order of the C++ enum.");
  m.def(
      "error_codes",
      [] {
        // Codes are grouped in hundreds (see error.hpp); a name other than "unknown_error" is a
        // code the core defines.
        std::vector<std::pair<std::string_view, int>> codes;
        for (int value = 100; value < 700; ++value) {
          auto name = jwtfort::to_string(static_cast<errc>(value));
          if (name != "unknown_error") codes.emplace_back(name, value);
        }
        return codes;
      },
      "Every error code as (wire name, value).");
  m.def(
      "http_challenge",
      [](int code, std::string message, std::string header_name, std::string realm,
         const std::vector<std::string>& scopes) {
        // The HTTP boundary's one table (challenge_for), so that FastAPI apps answer
        // exactly as jwtfort-server does.
        jwtfort::http::authenticator_options options;
        options.header_name = std::move(header_name);
        options.realm = std::move(realm);
        auto c = jwtfort::http::challenge_for(
            jwtfort::error(static_cast<errc>(code), std::move(message)), options, scopes);
        return std::make_tuple(c.status, std::move(c.detail), std::move(c.www_authenticate));
      },
      "code"_a, "message"_a, "header_name"_a, "realm"_a, "scopes"_a,
      "(status, client message, WWW-Authenticate) for an error code, as the HTTP middleware "
      "answers it; `scopes` fill the scope attribute of an insufficient_scope challenge.");
}

}  // namespace

NB_MODULE(_native, m) {
  m.doc() = "jwtfort's C++ core; use the `jwtfort` package instead.";
  // Objects still referenced when the interpreter exits (a token service in a FastAPI
  // dependency's lru_cache, a middleware's backend) are never collected, by Python's design;
  // nanobind would call each of them a reference-counting bug on stderr. JWTFORT_LEAK_WARNINGS=1
  // keeps its check, which tests/python/test_native_exit.py runs on objects that are released.
  if (std::getenv("JWTFORT_LEAK_WARNINGS") == nullptr) nb::set_leak_warnings(false);
  nb::object factory = nb::module_::import_("jwtfort.errors").attr("_from_native");
  error_factory = factory.release();
  bind_names(m);
  bind_keys(m);
  bind_signer_and_verifier(m);
  bind_store(m);
  bind_token_service(m);
  bind_trusted_issuers(m);
  m.def(
      "version", [] { return std::string(JWTFORT_VERSION); },
      "jwtfort's version, project(jwtfort VERSION ...) of the build.");
  m.def(
      "openssl_version", [] { return std::string(jwtfort::crypto_library_version()); },
      "The OpenSSL this module runs on, as it names itself (a wheel carries its own copy).");
}
