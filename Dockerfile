FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY archive/ archive/
RUN pip install --no-cache-dir .

COPY . .
# Static files are collected into the image; a throw-away key suffices for that step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

RUN useradd --system --uid 1000 archive && chown -R archive /app
USER archive
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --no-input && gunicorn archive.wsgi --bind 0.0.0.0:8000 --workers 3 --access-logfile -"]
