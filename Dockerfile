FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY archive/ archive/
RUN pip install --no-cache-dir .

COPY . .
# warc/: the harvester's WARC files (a volume in docker-compose.yml), written as this user.
RUN mkdir -p warc && useradd --system --uid 1000 --home /app archive && chown -R archive /app
USER archive
EXPOSE 8000
# Migrations and static files on start; seeds/ imported when IMPORT_SEEDS is set; the search
# index brought up to date (built whole the first time) before the server answers.
CMD ["sh", "-c", "python manage.py migrate --no-input && python manage.py collectstatic --no-input -v 0 && if [ -n \"$IMPORT_SEEDS\" ]; then python manage.py import_releases seeds/; fi && python manage.py rebuild_search_index --changes-only && exec gunicorn archive.wsgi --config gunicorn.conf.py"]
