"""Backups: pg_dump of the live database restores into a fresh database and the site works on it."""

import re
import subprocess
import sys
import uuid

import requests

from tests.e2e.stack import BASE_DIR, free_port, wait_until


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def test_dump_and_restore_gives_a_working_site(stack, tmp_path):
    dump = tmp_path / "backup.dump"
    subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--format=custom", f"--file={dump}", stack.database],
        check=True,
    )
    restored = f"e2rpro_restore_{uuid.uuid4().hex[:8]}"
    _psql(f"CREATE DATABASE {restored}")
    port = free_port()
    env = stack.env() | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{restored}",
        "CELERY_BROKER_URL": "",
    }
    server = None
    try:
        subprocess.run(
            [
                "pg_restore",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--no-owner",
                f"--dbname={restored}",
                str(dump),
            ],
            check=True,
        )
        check = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"], cwd=BASE_DIR, env=env, capture_output=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "e2rpro.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=30, message="gunicorn on the restored database")
        session = requests.Session()
        login_page = session.get(f"{base}/accounts/login/", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        response = session.post(
            f"{base}/accounts/login/",
            data={
                "username": "admin@demo.example.com",
                "password": "demo-pass-2026",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=10,
        )
        assert response.status_code == 200
        assert "株式会社デモ商事" in response.text
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        _psql(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
