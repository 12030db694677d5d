"""What the benchmark scripts (bench/run_*.py) share: the tree's paths and progress lines, the
machine description and the docs/benchmarks.md sections they write with pass/miss bars (and
their charts, which bench/charts.py draws), the HTTP servers they start and stop, wrk runs and
their measurements, and the virtualenvs of the Python peers.

The scripts import this module and nothing of each other. It uses the loopback helpers of the
tests (tests/support/loopback.py: free ports, stopping processes, redis-server) and runs
bench/charts.py, and nothing else of the tree; everything it starts listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
# The one place the benchmarks reach into the tests: their loopback helpers.
sys.path.insert(0, str(ROOT / "tests" / "support"))
from loopback import RedisServer, free_port, stop_process  # noqa: E402

__all__ = ["RedisServer", "free_port"]  # for the scripts, with everything defined below


STARTED = time.monotonic()


def progress(message: str) -> None:
    elapsed = int(time.monotonic() - STARTED)
    print(f"[bench {elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


def run(cmd: list[str], *, cwd: pathlib.Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Runs `cmd` with its output shown as it comes."""
    progress("$ " + " ".join(str(c) for c in cmd))
    returncode = subprocess.run(cmd, cwd=cwd, env=env).returncode
    if returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {returncode}")


def run_streaming(cmd: list[str], *, cwd: pathlib.Path = ROOT,
                  env: dict[str, str] | None = None) -> str:
    """Runs `cmd`; stderr lines are shown as they come, stdout is returned."""
    progress("$ " + " ".join(str(c) for c in cmd))
    with subprocess.Popen(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        def echo() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                print("  " + line.rstrip(), flush=True)

        reader = threading.Thread(target=echo)
        reader.start()
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait()
        reader.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}")
    return out


def build(build_dir: pathlib.Path, jobs: int) -> None:
    # Configure output goes to stdout and is dropped; warnings (stderr) are shown.
    run_streaming(["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                   "-DCMAKE_BUILD_TYPE=Release", "-DJWTFORT_BUILD_BENCH=ON",
                   "-DJWTFORT_BUILD_TESTS=OFF", "-DJWTFORT_BUILD_CLI=OFF"])
    run(["cmake", "--build", str(build_dir), "-j", str(jobs)])


# --- machine --------------------------------------------------------------------------------


def first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return out.splitlines()[0].strip() if out.strip() else "?"


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def os_name() -> str:
    try:
        for line in pathlib.Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}"


def compiler(build_dir: pathlib.Path) -> str:
    cache = build_dir / "CMakeCache.txt"
    cxx = "c++"
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_CXX_COMPILER:"):
                cxx = line.split("=", 1)[1]
    return first_line([cxx, "--version"])


def machine(build_dir: pathlib.Path) -> dict[str, str]:
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "os": os_name(),
        "compiler": compiler(build_dir),
        "openssl": first_line(["openssl", "version"]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def build_kind(binary: pathlib.Path) -> str:
    """CMake's build type of `binary` (<build>/server/jwtfort-server), with its sanitizers: a
    Debug or sanitized server would make the comparison meaningless."""
    cache = binary.parent.parent / "CMakeCache.txt"
    if not cache.exists():
        return "unknown build"
    values = dict(line.split("=", 1) for line in cache.read_text().splitlines()
                  if "=" in line and not line.startswith(("#", "//")))
    kind = values.get("CMAKE_BUILD_TYPE:STRING") or "default (no CMAKE_BUILD_TYPE)"
    sanitizers = values.get("JWTFORT_SANITIZE:STRING")
    return f"{kind} + {sanitizers} sanitizers" if sanitizers else kind


def tool_versions(binary: pathlib.Path, python: pathlib.Path) -> dict[str, str]:
    # wrk has no --version; its usage text starts with the version and it exits 1.
    wrk_out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    py = subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                        capture_output=True, text=True).stdout.strip()
    server = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    return {"wrk": wrk_out.split("[")[0].strip() or "wrk", "python": py,
            "server": (server.stdout.strip() or "jwtfort-server (version unknown)") +
            f" ({build_kind(binary)})"}


# --- the report -----------------------------------------------------------------------------


@dataclass
class Bar:
    text: str
    value: float | None
    limit: float
    at_most: bool  # True: value <= limit passes; False: value >= limit passes
    unit: str

    def row(self) -> str:
        if self.value is None:
            return f"| {self.text} | not measured | – | – |"
        passed = self.value <= self.limit if self.at_most else self.value >= self.limit
        # Margin: how far inside (+) or outside (-) the limit, relative to the limit.
        margin = (self.limit - self.value) / self.limit if self.at_most else \
            (self.value - self.limit) / self.limit
        shown = f"{self.value:.2f}{self.unit}"
        return f"| {self.text} | {shown} | {'PASS' if passed else 'MISS'} | {margin * 100:+.1f}% |"


# The load note of the sections whose ratios, not absolute numbers, are the result.
SHARED_MACHINE = ("; the machine is shared, so absolute numbers move from run to run and the ratios "
                  "are what to read")


def section_head(begin: str, script: str, info: dict[str, str], load: tuple[float, float],
                 command: str, load_note: str = "") -> list[str]:
    """The lines that open every generated section: its begin marker, the note that it is
    generated by `script`, the machine (with the server's build when `info` names one), the load
    average at the start and the end (then `load_note`), and the command."""
    parts = [f"{info['cpu']}, {info['cores']} cores", info["os"], info.get("compiler"),
             info["openssl"], info.get("server"), info["date"]]
    return [
        begin,
        f"<!-- Generated by {script}; edits between these markers are overwritten. -->", "",
        "**Machine:** " + "; ".join(p for p in parts if p) + ".", "",
        f"**Load:** 1-minute load average {load[0]:.2f} at the start and {load[1]:.2f} at the end "
        f"on {info['cores']} cores{load_note}.", "",
        f"**Command:** `{command}`", "",
    ]


def write_doc(section: str, begin: str, end: str) -> None:
    """Replaces the text between `begin` and `end` (markers included in `section`), then has
    bench/charts.py draw the section's charts from its tables and link them after the tables. A
    run never fails for its charts: without them, the section keeps its tables and says nothing
    of charts."""
    replace_section(section, begin, end)
    name = begin.removeprefix("<!-- ").removesuffix(":begin -->")
    charts = subprocess.run([sys.executable, str(ROOT / "bench" / "charts.py"), "--section", name])
    if charts.returncode != 0:
        progress(f"no charts for the {name} section (bench/charts.py exited with "
                 f"{charts.returncode}); its tables are written")


def replace_section(section: str, begin: str, end: str) -> None:
    """Replaces the text between `begin` and `end` (markers included in `section`)."""
    if DOC.exists():
        text = DOC.read_text()
        if begin in text and end in text:
            before, rest = text.split(begin, 1)
            after = rest.split(end, 1)[1]
            DOC.write_text(before + section + after)
            return
        DOC.write_text(text.rstrip("\n") + "\n\n" + section + "\n")
        return
    DOC.write_text("# Benchmarks\n\n" + section + "\n")


# --- servers --------------------------------------------------------------------------------


HOST = "127.0.0.1"  # loopback only: nothing here may leave the machine


USERNAME = "bench"


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    cpus: set[int] | None  # the CPUs it is confined to; None: all
    log: pathlib.Path
    token: str = ""

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


class Servers:
    """Every server this run starts; `stop_all` ends each of them, whatever ended the run."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str], port: int, log: pathlib.Path,
              cpus: set[int] | None = None, cwd: pathlib.Path | None = None) -> Server:
        progress(f"starting {name} on {HOST}:{port}")
        with open(log, "wb") as out:
            # Its own process group, so that stopping it also stops anything it spawned.
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=pinning(cpus))
        server = Server(name, proc, port, cpus, log)
        self.running.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGTERM)
        for server in self.running:
            stop_process(server.proc, timeout=5, group=True)
        self.running.clear()


def start_jwtfort_server(servers: Servers, binary: pathlib.Path, name: str, env: dict[str, str],
                         data: pathlib.Path, *, password: str | None = None,
                         threads: int | None = None, cpus: set[int] | None = None) -> Server:
    """jwtfort-server `binary` on a free port with the new directory `data` as its data and
    working directory, once /healthz answers; with `password`, the account USERNAME is added
    first (the caller logs in)."""
    data.mkdir()
    if password is not None:
        added = subprocess.run([str(binary), "users", "add", USERNAME, "--data-dir", str(data)],
                               input=password + "\n", text=True, env=env, cwd=data,
                               capture_output=True)
        if added.returncode != 0:
            raise RuntimeError(f"{name} users add failed: {added.stderr.strip()}")
    port = free_port()
    cmd = [str(binary), "serve", "--listen", f"{HOST}:{port}", "--data-dir", str(data)]
    if threads:
        cmd += ["--threads", str(threads)]
    server = servers.start(name, cmd, env, port, data / "server.log", cpus, cwd=data)
    wait_ready(server, "/healthz")
    return server


def pinning(cpus: set[int] | None):
    """A preexec_fn that confines the child (and every thread it starts) to `cpus`."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def cpu_layout() -> tuple[set[int] | None, set[int] | None, str]:
    """(the server's CPUs, the load generator's CPUs, how the report says it): the first CPU this
    process may use for the server, the others for wrk; unpinned with a single CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None, "unpinned"
    return {cpus[0]}, set(cpus[1:]), f"server on CPU {cpus[0]}, wrk on the others"


def clean_environment() -> dict[str, str]:
    """The caller's environment without anything that would configure a server under test
    (jwtfort reads AUTHJWT_* and JWTFORT_*, AuthX's settings read JWT_*)."""
    prefixes = ("AUTHJWT_", "JWTFORT_", "JWT_", "BENCH_")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}


def request(url: str, *, body: dict | None = None, token: str | None = None,
            timeout: float = 5) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(server: Server, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        with contextlib.suppress(OSError):
            if request(server.url(path), timeout=1)[0] == 200:
                return
        time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{server.name} did not become ready on port {server.port}:\n{tail}")


def log_in(server: Server, password: str) -> None:
    """Gets an access token from the server's own POST /login, in the library's own format."""
    status, body = request(server.url("/login"),
                           body={"username": USERNAME, "password": password})
    if status != 200:
        raise RuntimeError(f"{server.name}: POST /login answered {status}: {body[:200]!r}")
    server.token = json.loads(body)["access_token"]


def body_json(body: bytes) -> dict:
    with contextlib.suppress(ValueError):
        value = json.loads(body)
        return value if isinstance(value, dict) else {}
    return {}


def forged(token: str) -> str:
    """`token` with the first character of its signature changed: a token every server must
    refuse."""
    header, payload, signature = token.split(".")
    return ".".join([header, payload, ("B" if signature[0] == "A" else "A") + signature[1:]])


def check_routes(server: Server) -> None:
    """Before any measurement: /protected admits the token and nothing else, so no server is
    measured with its authentication switched off."""
    status, body = request(server.url("/protected"), token=server.token)
    if status != 200 or body_json(body).get("user") != USERNAME:
        raise RuntimeError(f"{server.name}: GET /protected with the token: {status} {body!r}")
    for token, what in ((None, "no token"), (forged(server.token), "a forged signature")):
        status, _ = request(server.url("/protected"), token=token)
        if not 400 <= status < 500:
            raise RuntimeError(f"{server.name}: GET /protected with {what} answered {status}")
    if request(server.url("/public"))[0] != 200:
        raise RuntimeError(f"{server.name}: GET /public did not answer 200")


VERIFY = "/auth/verify"


def check_verify(server: Server, token: str, timeout: float = 5) -> None:
    """Before any measurement: /auth/verify admits `token` and refuses it with a forged
    signature."""
    status, _ = request(server.url(VERIFY), token=token, timeout=timeout)
    if status != 200:
        raise RuntimeError(f"{server.name}: {VERIFY} with a valid token answered {status}")
    status, _ = request(server.url(VERIFY), token=forged(token))
    if status != 401:
        raise RuntimeError(f"{server.name}: {VERIFY} with a forged signature answered {status}")


def verified_cache_stats(server: Server) -> dict[str, int]:
    """The verified-token cache's counters and gauges from /metrics: hits, misses, evictions,
    expired, entries, bytes."""
    status, body = request(server.url("/metrics"))
    if status != 200:
        raise RuntimeError(f"{server.name}: /metrics answered {status}")
    found = dict(re.findall(r"^jwtfort_verified_cache_(\w+) (\d+)$", body.decode(), re.M))
    return {k.removesuffix("_total"): int(v) for k, v in found.items()}


def hit_rate(before: dict[str, int], after: dict[str, int]) -> float:
    """The cache's hit rate between two `verified_cache_stats` readings."""
    hits, misses = (after[k] - before[k] for k in ("hits", "misses"))
    return hits / (hits + misses) if hits + misses else 0.0


def default_verified_cache_entries() -> int:
    """jwtfort-server's default JWTFORT_VERIFIED_CACHE_ENTRIES, as docs/server.md states it."""
    table = (ROOT / "docs" / "server.md").read_text()
    found = re.search(r"^\| `JWTFORT_VERIFIED_CACHE_ENTRIES` \|[^|]*\| `(\d+)` \|", table, re.M)
    if not found:
        raise RuntimeError("docs/server.md: no default for JWTFORT_VERIFIED_CACHE_ENTRIES")
    return int(found.group(1))


# --- tokens ---------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(alg: str, sign: Callable[[bytes], bytes], subject: str, now: int) -> str:
    """An access token with the claims jwtfort-server writes, valid for a day, signed by `sign`
    (signing input -> JWS signature bytes, for ES256 R||S as RFC 7518 §3.4 has it)."""
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": subject, "iat": now, "nbf": now, "jti": str(uuid.uuid4()),
              "exp": now + 86400, "type": "access", "fresh": False}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = sign(f"{header}.{payload}".encode())
    return f"{header}.{payload}.{b64(signature)}"


def hs256_signer(secret: str) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret.encode(), data, hashlib.sha256).digest()


def tokens_lua_script(tokens: pathlib.Path, path: pathlib.Path, route: str,
                      threads: int) -> pathlib.Path:
    """Writes a wrk script to `path` that sends the tokens of the file `tokens` (one a line) round
    robin to GET `route`, one per request. Each of wrk's `threads` threads takes every
    `threads`-th token, from its own first one on, so no two threads send the same token close
    together. A number after `--` on wrk's command line is where in the list the run starts."""
    path.write_text(
        "local tokens = {}\n"
        f'for line in io.lines("{tokens}") do tokens[#tokens + 1] = line end\n'
        "local count = 0\n"
        "function setup(thread)\n"
        "  thread:set(\"id\", count)\n"
        "  count = count + 1\n"
        "end\n"
        "local i = 0\n"
        "function init(args)\n"
        f"  i = (tonumber(args[1]) or 0) + id - {threads}\n"
        "end\n"
        "request = function()\n"
        f"  i = (i + {threads}) % #tokens\n"
        f'  return wrk.format("GET", "{route}", '
        '{["Authorization"] = "Bearer " .. tokens[i + 1]})\n'
        "end\n")
    return path


def environments(secret: str, password: str) -> tuple[dict[str, str], dict[str, str]]:
    """(jwtfort's, the peers') environment: the same HS256 secret and account for all."""
    base = clean_environment()
    jwtfort = dict(base, AUTHJWT_SECRET_KEY=secret, AUTHJWT_ALGORITHM="HS256",
                   # A token minted at start-up must outlive the run, as the peers' do.
                   AUTHJWT_ACCESS_TOKEN_EXPIRES="86400", JWTFORT_LOG="off")
    peers = dict(base, AUTHJWT_SECRET_KEY=secret, BENCH_USERNAME=USERNAME,
                 BENCH_PASSWORD=password)
    return jwtfort, peers


def server_binary(parser: argparse.ArgumentParser, args: argparse.Namespace) -> pathlib.Path:
    """The jwtfort-server to measure: --server, else <build>/server/jwtfort-server. Refuses a
    missing one; warns about a build that is not Release."""
    binary = (args.server or args.build.resolve() / "server" / "jwtfort-server").resolve()
    if not os.access(binary, os.X_OK):
        parser.error(f"no jwtfort-server at {binary}: build it (cmake -S . -B {args.build} "
                     "-DCMAKE_BUILD_TYPE=Release && cmake --build "
                     f"{args.build} --target jwtfort_server) or pass --server")
    if (build := build_kind(binary)) not in ("Release", "unknown build"):
        progress(f"warning: {binary} is a {build} build; the figures will not be representative")
    return binary


def add_server_arguments(parser: argparse.ArgumentParser, build_help: str) -> None:
    """--build and --server, read by `server_binary`."""
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build", help=build_help)
    parser.add_argument("--server", type=pathlib.Path,
                        help="jwtfort-server binary (default: <build>/server/jwtfort-server)")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """--quick and --no-doc, which every script that measures servers takes."""
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument("--no-doc", action="store_true", help="print, leave the doc alone")


def shown_path(path: pathlib.Path) -> str:
    """`path` as a report shows it: relative to the tree when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def server_command_line(script: str, args: argparse.Namespace,
                        extra: tuple[str, ...] = ()) -> str:
    """The command of a run of `script` (bench/...) as the report shows it: --build and --server
    where they are not the default, then `extra`, then --quick."""
    words = ["python3", script]
    if args.build.resolve() != (ROOT / "build").resolve():
        words += ["--build", shown_path(args.build)]
    if args.server:
        words += ["--server", shown_path(args.server)]
    return " ".join([*words, *extra] + (["--quick"] if args.quick else []))


def publish(section: str, begin: str, end: str, *, to_doc: bool) -> None:
    """Writes `section` into docs/benchmarks.md (unless not `to_doc`) and prints it."""
    if to_doc:
        write_doc(section, begin, end)
        progress("wrote docs/benchmarks.md")
    print(section)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def on_signal(signum: int, _frame) -> None:
    progress(f"stopped by {signal.Signals(signum).name}")
    for s in STOP_SIGNALS:  # a second Ctrl-C must not interrupt the clean-up
        signal.signal(s, signal.SIG_IGN)
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops the servers


def stop_on_signals() -> None:
    """Ends the run cleanly on Ctrl-C, kill or a closed terminal. SIGINT too: a shell starts a
    background job with SIGINT ignored, which would leave Python without its
    KeyboardInterrupt."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)


# --- virtualenvs of the Python peers --------------------------------------------------------


PEER_DIR = ROOT / "bench" / "http" / "peers"

# uvloop and httptools are uvicorn's fastest event loop and HTTP parser: the peers get their
# best setup, and both run on the same uvicorn.
UVICORN = ("uvicorn[standard]==0.54.0", "uvloop==0.23.0", "httptools==0.9.0")


@dataclass(frozen=True)
class Peer:
    name: str  # as shown in the report
    venv: str  # directory under <build>/bench-venvs
    module: str  # the app in bench/http/peers
    requirements: tuple[str, ...]  # exact pins; the report prints what is installed


PEERS = (
    # fastapi-jwt-auth 0.5.0 requires PyJWT < 2 and pydantic 1, so FastAPI from before pydantic 2.
    Peer("fastapi-jwt-auth", "fastapi-jwt-auth", "fastapi_jwt_auth_app",
         ("fastapi-jwt-auth==0.5.0", "fastapi==0.99.1", "starlette==0.27.0", "pydantic==1.10.27",
          "PyJWT==1.7.1", *UVICORN)),
    Peer("AuthX", "authx", "authx_app",
         ("authx==1.7.1", "fastapi==0.165.0", "starlette==1.10.0", "pydantic==2.14.3",
          "PyJWT==2.15.1", *UVICORN)),
)


@dataclass(frozen=True)
class Venv:
    """A virtualenv of pinned packages for a script's own Python steps (bench/mint_tokens.py)."""

    name: str  # as shown in progress lines
    venv: str  # directory under <build>/bench-venvs
    requirements: tuple[str, ...]  # exact pins


def venv_versions(python: pathlib.Path, names: list[str]) -> dict[str, str] | None:
    code = ("import importlib.metadata as m, json, sys\n"
            "try: print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))\n"
            "except m.PackageNotFoundError: print('null')")
    out = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None


def ensure_venv(peer: Peer | Venv, root: pathlib.Path) -> tuple[pathlib.Path, dict[str, str]]:
    """Creates or reuses the virtualenv with exactly the pinned versions."""
    venv = root / peer.venv
    python = venv / "bin" / "python"
    pins = {re.sub(r"\[.*\]", "", r.split("==")[0]): r.split("==")[1] for r in peer.requirements}
    if not python.exists():
        progress(f"creating the {peer.name} virtualenv in {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
    versions = venv_versions(python, list(pins))
    if versions != pins:
        progress(f"installing {', '.join(peer.requirements)}")
        run([str(python), "-m", "pip", "install", "--quiet", *peer.requirements])
        versions = venv_versions(python, list(pins))
        if versions != pins:
            raise RuntimeError(f"{peer.name}: installed {versions}, pinned {pins}")
    progress(f"{peer.name} virtualenv ready: {venv}")
    return python, versions


# --- wrk runs and their measurements --------------------------------------------------------


@dataclass(frozen=True)
class WrkPlan:
    """How long a wrk benchmark runs: each measured run, the unmeasured run per target first,
    and how many measured runs per target."""
    seconds: int
    warmup: int
    repetitions: int


@dataclass
class Run:
    rps: float
    p99_ms: float
    requests: int
    seconds: float  # as wrk measured it
    errors: int  # wrk's socket errors: connect, read, write, timeout
    cpu_seconds: float  # the server's user + system time during the run


@dataclass(frozen=True)
class Target:
    server: str  # key into the started servers
    path: str


def wrk_command(url: str, seconds: int, *, threads: int, connections: int,
                token: str | None = None, script: pathlib.Path | None = None,
                prefix: tuple[str, ...] = ()) -> list[str]:
    """wrk with latency statistics against `url` for `seconds`: with `token` in every request's
    Authorization header, or with the Lua `script` that builds the requests; after `prefix`
    (taskset ..., to pin wrk)."""
    command = [*prefix, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token is not None:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, url]


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(out: str, what: str) -> Run:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", out, re.M)
    if not (rps and p99 and total):
        raise RuntimeError(f"{what}: cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{what}: {non2xx.group(1)} non-2xx responses out of "
                           f"{total.group(1)}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return Run(rps=float(rps.group(1)), p99_ms=float(p99.group(1)) * UNIT_MS[p99.group(2)],
               requests=int(total.group(1)),
               seconds=float(total.group(2)) * UNIT_MS[total.group(3)] / 1e3,
               errors=sum(int(g) for g in errors.groups()) if errors else 0, cpu_seconds=0.0)


def run_wrk(server: Server, command: list[str], what: str, seconds: int,
            preexec_fn: Callable[[], None] | None = None) -> Run:
    """Runs `command` (wrk against `server`, for about `seconds`); its parsed output, with the
    server's CPU time during the run. Fails on any non-2xx response or if the server exits."""
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                         preexec_fn=preexec_fn)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed on {what}: {out.stderr or out.stdout}")
    result = parse_wrk(out.stdout, what)
    result.cpu_seconds = cpu_seconds(server.proc.pid) - before
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} exited during the run")
    return result


def measure_interleaved(targets: list[Target], warmup: int, seconds: int, repetitions: int,
                        run_one: Callable[[Target, int], Run],
                        shown: Callable[[Run], str]) -> dict[Target, list[Run]]:
    """One unmeasured run of `warmup` seconds per target, then `repetitions` rounds of a run of
    `seconds` per target; each round's progress line shows a run as `shown` says."""
    for t in targets:
        run_one(t, warmup)
    runs: dict[Target, list[Run]] = {t: [] for t in targets}
    for rep in range(repetitions):
        # Each repetition starts one target further on, so no target always runs first or last.
        for t in targets[rep % len(targets):] + targets[:rep % len(targets)]:
            r = run_one(t, seconds)
            runs[t].append(r)
            progress(f"  {rep + 1}/{repetitions} {t.server} {t.path}: {shown(r)}")
    return runs


def cpu_seconds(pid: int) -> float:
    """User + system time of every thread of `pid` so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median_of(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def cpu_us_per_request(runs: list[Run]) -> float:
    return statistics.median(r.cpu_seconds / r.requests * 1e6 for r in runs)


def cpu_busy(runs: list[Run]) -> float:
    """The server's CPU time over wall time, in per cent of one core: below 100 for a one-core
    server, something else (wrk, other work on the machine) held it back."""
    return statistics.median(r.cpu_seconds / r.seconds * 100 for r in runs)
