# syntax=docker/dockerfile:1
# Multi-stage build: wheels are built in the first stage, the runtime stage has no compiler.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY beredskab ./beredskab
COPY api ./api
COPY notifications ./notifications
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --system --create-home --uid 10001 beredskab
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
# migrations, playbooks and the demo directory are read from the working directory
COPY alembic.ini ./
COPY migrations ./migrations
COPY playbooks ./playbooks
COPY data ./data
ENV PLAYBOOK=/app/playbooks/ddh-beredskab.yaml
USER beredskab
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["sh", "-c", "beredskab migrate && beredskab serve --host 0.0.0.0 --port 8000 --no-worker"]
