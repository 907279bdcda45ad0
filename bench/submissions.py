"""Submissions under gunicorn (2 sync workers) against /healthz on the same server.

Issue 2's bar: with 32 concurrent clients on loopback and durable settings
(SQLite WAL, synchronous=FULL), submission throughput at least 0.25x that of
/healthz in the same run, and p99 below 150 ms.

Every session and CSRF token is fetched before the clock starts, so the timed
phase is the POST alone: form checks, AES-GCM sealing, the participation and
pending rows in one transaction, and every fifth answer of a team a batch release.
"""
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app, schema
from app.accounts.roster import import_roster  # noqa: E402
from app.crypto import links
from app.models import Invitation, Round  # noqa: E402
from app.pulse import rounds, surveys
from tests.support import full_scores, roster_csv  # noqa: E402

CLIENTS = 32
PEOPLE = 4800           # one submission each: nobody may answer twice
HEALTH_REQUESTS = 2000
ROUNDS = 5
WORKERS = 2
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare(directory):
    env = {"DATABASE_URL": f"sqlite:///{directory}/heard.db",
           "KEY_FILE": f"{directory}/heard.keys", "SECRET_KEY": "bench-secret"}
    app = create_app(env)
    with app.app_context():
        schema.upgrade()
        surveys.sync_surveys(app.config["SURVEYS_DIR"])
        import_roster(roster_csv({f"Bench/Team {n:02d}": PEOPLE // 24 for n in range(24)}))
        round_ = rounds.open_round("weekly", "Bench", 7, app.config["MIN_GROUP"])
        tokens = [links.token_for(i.salt)
                  for i in Invitation.select().where(Invitation.round == round_)]
        form = {f"q_{k}": str(v) for k, v in full_scores(Round.get_by_id(round_.id)).items()}
    return {f"HEARD_{k}": v for k, v in env.items()}, tokens, form


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def open_session(port, token):
    """Follow a personal link like a phone would; return (cookie, csrf token)."""
    _status, headers, _body = request(port, "GET", f"/p/{token}")
    cookie = dict(headers)["Set-Cookie"].split(";")[0]
    _status, headers, body = request(port, "GET", "/pulse", headers={"Cookie": cookie})
    cookie = dict(headers).get("Set-Cookie", cookie).split(";")[0]
    return cookie, CSRF.search(body.decode()).group(1)


def timed_phase(jobs):
    """Run jobs (callables returning a status) on CLIENTS threads; return latencies, seconds."""
    latencies, failures, lock = [], [], threading.Lock()

    def run(job):
        start = time.perf_counter()
        status = job()
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            if status not in (200, 303):
                failures.append(status)

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, jobs))
    seconds = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. status {failures[0]}")
    return latencies, seconds


def workers_cpu(master_pid):
    """CPU seconds (user + system) used so far by the gunicorn workers of a master."""
    total = 0.0
    for pid in subprocess.check_output(["pgrep", "-P", str(master_pid)], text=True).split():
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    directory = tempfile.mkdtemp(prefix="heard-bench-")
    env, tokens, form = prepare(directory)
    port = free_port()
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--backlog", "256", "wsgi:app"],
        cwd=PROJECT_DIR, env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                request(port, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        with ThreadPoolExecutor(CLIENTS) as pool:
            sessions = list(pool.map(lambda t: open_session(port, t), tokens))

        def submit(session):
            cookie, csrf = session
            body = urlencode(dict(form, csrf_token=csrf, identity="anonymous"))
            return request(port, "POST", "/pulse", body, {
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})[0]

        # Interleaved rounds, alternating which goes first, so that noise from other
        # tenants of the machine hits both kinds of request alike; medians are reported.
        per_round = len(sessions) // ROUNDS
        runs = []
        for number in range(ROUNDS):
            health = [lambda: request(port, "GET", "/healthz")[0]] * HEALTH_REQUESTS
            mine = [lambda s=s: submit(s)
                    for s in sessions[number * per_round:(number + 1) * per_round]]
            phases = [("health", health), ("post", mine)]
            results = {}
            for name, jobs in (phases if number % 2 == 0 else phases[::-1]):
                before = workers_cpu(server.pid)
                latencies, seconds = timed_phase(jobs)
                results[name] = (latencies, seconds, (workers_cpu(server.pid) - before) / len(jobs))
            runs.append(results)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    def median_of(name, pick):
        return statistics.median(pick(run[name]) for run in runs)

    health_rate = median_of("health", lambda r: len(r[0]) / r[1])
    post_rate = median_of("post", lambda r: len(r[0]) / r[1])
    ratios = [(len(r["post"][0]) / r["post"][1]) / (len(r["health"][0]) / r["health"][1])
              for r in runs]
    print(f"submissions under gunicorn ({WORKERS} sync workers, {CLIENTS} clients, "
          f"SQLite WAL synchronous=FULL, {os.cpu_count()} cores shared with the clients); "
          f"medians of {ROUNDS} interleaved rounds")
    for label, name, rate in (("/healthz   ", "health", health_rate),
                              ("POST /pulse", "post", post_rate)):
        print(f"  {label} : {rate:6.0f} req/s"
              f"   p50 {1000 * median_of(name, lambda r: statistics.median(r[0])):6.1f} ms"
              f"   p99 {1000 * median_of(name, lambda r: percentile(r[0], .99)):6.1f} ms"
              f"   worker CPU {1000 * median_of(name, lambda r: r[2]):5.2f} ms/request")
    cpu_ratio = median_of("health", lambda r: r[2]) / median_of("post", lambda r: r[2])
    print(f"  ratio       : {statistics.median(ratios):.2f}x of /healthz throughput "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"{cpu_ratio:.2f}x by worker CPU   (bar: >= 0.25x, p99 < 150 ms)")

if __name__ == "__main__":
    main()
