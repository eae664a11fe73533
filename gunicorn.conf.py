"""gunicorn settings for the archive, read from the environment where one is given."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One worker a core: a page is CPU work (rendering, and the database's own when it runs on
# the same machine), so more workers only queue for the cores. Measured on 2 cores with
# PostgreSQL alongside (benchmarks/load_test.py): 2 workers served 231 requests/s with a p99
# of 466 ms, 5 workers 175/s and 599 ms.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000  # recycle workers now and then, so slow leaks cannot grow
max_requests_jitter = 200
accesslog = "-"  # logs go to stdout, where the platform collects them
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
