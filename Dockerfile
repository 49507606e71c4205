# The ad server's image. Build: docker build -t promovolve:0.1.0 .
# Both stages use one base, pinned by tag and by the digest of its multi-architecture index.

# Build stage: the README's install (pip with constraints.txt) into a virtualenv that the
# runtime stage copies whole, so the runtime image carries no build context or pip cache.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --quiet --upgrade pip \
    && /opt/venv/bin/pip install --quiet -c constraints.txt .

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS runtime
RUN groupadd --system --gid 10001 promovolve \
    && useradd --system --uid 10001 --gid promovolve --no-create-home \
        --home-dir /var/lib/promovolve --shell /usr/sbin/nologin promovolve \
    && install -d -o promovolve -g promovolve /var/lib/promovolve /var/cache/promovolve/numba
COPY --from=build /opt/venv /opt/venv
# NUMBA_CPU_NAME=generic: the compiled loops cached below are for any x86-64 (or arm64) CPU,
# not only the build machine's, so a pod on another node loads them instead of compiling.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/var/cache/promovolve/numba \
    NUMBA_CPU_NAME=generic \
    PROMOVOLVE_HOST=0.0.0.0 \
    PROMOVOLVE_PORT=8080 \
    PROMOVOLVE_DATA_DIR=/var/lib/promovolve
USER 10001:10001
# Compile the serve path's numba loops now, as the server's user, so no start waits for them.
RUN python -c "import os; from pathlib import Path; from promovolve.engine import kernels; kernels.warm_up(Path(os.environ['NUMBA_CACHE_DIR']))"
WORKDIR /var/lib/promovolve
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PROMOVOLVE_PORT', '8080') + '/healthz', timeout=2)"]
# uvicorn drains in-flight requests on SIGTERM (Docker's and Kubernetes' stop signal).
CMD ["promovolve", "serve"]
