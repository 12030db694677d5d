"""The README's walk-through, run as written against a real jwtfort-server.

The block between `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->` in README.md is a
shell session: each command may be followed by comment lines (`# ...`) showing what it prints.
This test starts the server on a free port with a fresh data directory, takes the demo password
from the server's first-run output (as a reader would), runs every command in one bash process
in the block's order, and checks that each shown line is printed by its command.

Usage: readme_walkthrough_test.py JWTFORT_SERVER (with tests/support on PYTHONPATH)
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from loopback import Process, free_port

SERVER = None
README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- walkthrough:begin -->", "<!-- walkthrough:end -->"


def walkthrough_steps():
    """[(command, [expected output lines])] from the README's fenced walk-through block."""
    text = README.read_text()
    block = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", block, re.S))
    steps = []
    for line in shell.splitlines():
        if not line.strip():
            continue
        if line.startswith("# "):
            if steps:
                steps[-1][1].append(line[2:])
            continue
        steps.append((line, []))
    return steps


class ReadmeWalkthrough(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="jwtfort-readme-")
        self.port = free_port()
        env = dict(os.environ, JWTFORT_LOG="off")
        self.server = Process(
            [SERVER, "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--data-dir", os.path.join(self.dir, "data")],
            env=env, name="jwtfort-server")
        self.password = self.read_first_run_password()
        self.wait_ready()

    def tearDown(self):
        self.assertEqual(self.server.stop(30), 0)
        shutil.rmtree(self.dir)

    def read_first_run_password(self):
        self.server.wait_for_line(r".*listening on", 90)
        password = None
        for line in self.server.stdout_lines:
            found = re.search(r"created user 'demo' with password: (\S+)", line)
            if found:
                password = found.group(1)
        self.assertIsNotNone(password, "the first run prints the demo password")
        return password

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.port, timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def test_every_step_prints_what_the_readme_shows(self):
        steps = walkthrough_steps()
        self.assertGreaterEqual(len(steps), 8, "the walk-through block was found")
        marker = "::step-done::"
        # One shell, so variables set by a step are seen by the next; a marker after each step
        # splits the output per command.
        script = "set -u\ncd %s\nPW=%s\n" % (self.dir, self.password)
        for command, _ in steps:
            script += command.replace("127.0.0.1:8000", "127.0.0.1:%d" % self.port)
            script += "\necho; echo %s\n" % marker
        run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        outputs = run.stdout.split(marker + "\n")
        self.assertEqual(len(outputs), len(steps) + 1)
        for (command, expected), output in zip(steps, outputs):
            printed = [line.rstrip("\r") for line in output.splitlines()]
            for line in expected:
                with self.subTest(command=command, expected=line):
                    self.assertIn(line, printed)


if __name__ == "__main__":
    SERVER = sys.argv.pop(1)
    unittest.main()
