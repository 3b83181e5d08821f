# livepoll server image: `docker build -t livepoll .`, then see docker-compose.yml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LIVEPOLL_DATA_DIR=/data

# An unprivileged user that owns only the data directory (the embedded store, used without Redis).
RUN groupadd --system --gid 10001 livepoll \
    && useradd --system --uid 10001 --gid livepoll --home-dir /data --create-home --shell /usr/sbin/nologin livepoll

# A regular (non-editable) install: the wheel carries static/ and templates/ as livepoll/static and
# livepoll/templates; the source tree is removed afterwards.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY livepoll ./livepoll
COPY static ./static
COPY templates ./templates
RUN pip install . && cd / && rm -rf /src

WORKDIR /data
USER livepoll
VOLUME ["/data"]
EXPOSE 8000

# Liveness only (/healthz answers while the process runs); load balancers should use /readyz, which also
# says whether Redis is reachable (see docker-compose.yml and deploy/Caddyfile).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# SIGTERM (docker stop) makes uvicorn stop accepting, finish in-flight ballots and close WebSockets with
# 1012 so that clients reconnect to another replica at once; allow it ~10 s (stop_grace_period in compose).
STOPSIGNAL SIGTERM
CMD ["livepoll", "serve", "--host", "0.0.0.0", "--port", "8000"]
