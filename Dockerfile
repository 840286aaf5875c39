# The lineage service, as `pip install .` builds it; docker-compose.yml runs it against Neo4j.

# The web explorer, built from web/ (its GraphQL types and documents are generated and checked in).
FROM node:20-slim AS explorer
WORKDIR /src
COPY web/package.json web/package-lock.json ./web/
RUN cd web && npm ci --no-audit --no-fund --loglevel=error
COPY web ./web
RUN mkdir -p lineage/web && cd web && npm run build

FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY lineage ./lineage
COPY --from=explorer /src/lineage/web/static ./lineage/web/static
COPY schema ./schema
RUN pip install --no-cache-dir '.[kafka]' \
    && useradd --system --create-home lineage

# The Neo4j store applies these constraints and indexes at start-up.
ENV LINEAGE_NEO4J_SCHEMA=/app/schema/neo4j \
    LINEAGE_HOST=0.0.0.0 \
    LINEAGE_PORT=8000 \
    PYTHONUNBUFFERED=1

USER lineage
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["lineage", "serve", "--host", "0.0.0.0", "--port", "8000"]
