FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 10001 jointip
COPY pyproject.toml README.md ./
COPY service service
COPY workflows workflows
COPY contract_templates contract_templates
COPY db db
RUN pip install .
USER jointip
# DATABASE_URL must point at PostgreSQL (compose.yaml provides one); the embedded server is for local use.
ENV JOINTIP_HOST=0.0.0.0 JOINTIP_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["jointip", "serve"]
