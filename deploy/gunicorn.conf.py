"""Gunicorn settings for Have Your Say, read from the environment.

One file for the container (Dockerfile), the systemd unit and
scripts/run_production_like.sh: each sets only what differs (where to listen, TLS).

  GUNICORN_BIND         where to listen (default 127.0.0.1:8000; the container sets 0.0.0.0:8000)
  GUNICORN_WORKERS      worker processes (default 4: about two per CPU; sync workers)
  GUNICORN_TIMEOUT      seconds a request may take (default 120: a large schedule upload)
  FORWARDED_ALLOW_IPS   proxies whose X-Forwarded-Proto gunicorn believes (default 127.0.0.1,::1;
                        as --forwarded-allow-ips). Set it to the TLS proxy's address. What the app
                        believes (client address for throttling, https for cookies) is PROXY_HOPS.
  GUNICORN_CERTFILE,    serve TLS from gunicorn itself (no proxy in front: then PROXY_HOPS=0);
  GUNICORN_KEYFILE      unset behind a TLS-terminating proxy, which is the usual way
"""

import os

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None
# No access log by default: request lines carry respondents' form links (/f/<token>).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
# Heartbeat files in memory, so a read-only root file system (the container) works.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Each worker builds its own app and database pool (no connections shared across a fork).
preload_app = False
