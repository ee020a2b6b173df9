# Have Your Say: the web app (gunicorn) and, with another command, the worker.
#   docker build -t haveyoursay:0.1.0 .
#   docker run --env-file /etc/haveyoursay.env -p 127.0.0.1:8000:8000 haveyoursay:0.1.0
#   docker run --env-file /etc/haveyoursay.env haveyoursay:0.1.0 haveyoursay db upgrade
#   docker run --env-file /etc/haveyoursay.env haveyoursay:0.1.0 haveyoursay worker --interval 60
# compose.yaml runs all of these with PostgreSQL. Put a TLS-terminating proxy in front
# and set PROXY_HOPS=1 and FORWARDED_ALLOW_IPS (see deploy/gunicorn.conf.py).

# ---- build: install the package and its dependencies into a virtualenv
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
COPY storage ./storage
COPY surveys ./surveys
COPY web ./web
# The runtime dependencies only: no test tools, no compilers (every dependency ships a wheel).
RUN python -m venv /opt/haveyoursay \
    && /opt/haveyoursay/bin/pip install --no-cache-dir . \
    && /opt/haveyoursay/bin/pip uninstall --yes pip

# ---- run: the virtualenv on a clean slim image, as an unprivileged user
FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="Have Your Say" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
RUN groupadd --system --gid 10001 haveyoursay \
    && useradd --system --uid 10001 --gid haveyoursay --home-dir /var/lib/haveyoursay \
       --create-home --shell /usr/sbin/nologin haveyoursay
COPY --from=build /opt/haveyoursay /opt/haveyoursay
COPY deploy/gunicorn.conf.py /etc/haveyoursay/gunicorn.conf.py
ENV PATH=/opt/haveyoursay/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HAVEYOURSAY_INSTANCE=/var/lib/haveyoursay \
    MPLCONFIGDIR=/tmp/matplotlib \
    GUNICORN_BIND=0.0.0.0:8000 \
    FORWARDED_ALLOW_IPS=127.0.0.1,::1
WORKDIR /var/lib/haveyoursay
# By number, so a platform that checks "not root" (runAsNonRoot) can tell: the haveyoursay user.
USER 10001:10001
EXPOSE 8000
# Liveness only (/healthz: the process answers). Readiness, the database and migrations,
# is /readyz: point the load balancer at it. The worker has no HTTP port: compose turns
# this check off for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# gunicorn's settings (bind, workers, timeout, --forwarded-allow-ips, TLS) come from the
# environment through deploy/gunicorn.conf.py.
CMD ["gunicorn", "--config", "/etc/haveyoursay/gunicorn.conf.py", "web:create_app()"]
