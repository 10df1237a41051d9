"""Examples of `unclosed-resource` and `thread-started-in-loop` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

UNCLOSED_VALID = (
    Example(title="Test code runs once", files={
        "tests/test_client.py": """
            import httpx


            def test_base_url():
                client = httpx.Client(base_url="https://example.com/")
                assert client.build_request("GET", "/a").url == "https://example.com/a"
        """,
    }),
    Example(title="with blocks, close in finally, returned to the caller", code="""
        import csv
        import os
        import tempfile

        import httpx
        import requests

        SESSION = requests.Session()


        def write_rows(path, rows):
            with open(path, "a", newline="") as out:
                csv.writer(out).writerows(rows)


        def read_all(path):
            fh = open(path)
            try:
                return fh.read()
            finally:
                fh.close()


        def load(path, packaged):
            if path is not None:
                source = open(path, "rb")
            else:
                source = packaged()
            with source as fh:
                return fh.read()


        _log = None


        def log(path, line):
            global _log
            if _log is None:
                _log = open(path, "a")  # kept open for the life of the process, on purpose
            _log.write(line)


        def open_log(path):
            return open(path, "a")


        async def fetch(url):
            async with httpx.AsyncClient() as client:
                return (await client.get(url)).json()


        def scratch(data):
            fd, path = tempfile.mkstemp()
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
                os.unlink(path)


        def gone(path):
            try:
                open(path)
            except FileNotFoundError:
                return True
            return False


        def serve(path, FileResponse):
            fh = open(path, "rb")
            return FileResponse(fh)


        def stream(path, Response):
            response = Response(open(path, "rb"))
            response.close()


        class Store:
            def __init__(self, url):
                self.session = requests.Session()
                self.url = url
    """),
)

UNCLOSED_INVALID = (
    Example(title="File, client and temporary file left open", code="""
        import csv
        import tempfile

        import requests


        def write_rejects(rows, path):
            out = open(path, "a", newline="")  # expect
            writer = csv.DictWriter(out, fieldnames=["id", "reason"])
            writer.writerows(rows)
            return len(rows)


        def price(sku):
            session = requests.Session()  # expect
            return session.get(f"https://prices.example.com/{sku}", timeout=5).json()


        def export(data):
            tmp = tempfile.NamedTemporaryFile(delete=False, suffix=".csv")  # expect
            tmp.write(data)
            tmp.close()
            upload(tmp.name)


        def upload(name):
            return name
    """),
)

THREAD_VALID = (
    Example(title="Joined threads and a bounded pool", code="""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        POOL = ThreadPoolExecutor(max_workers=8)


        def notify_all(users, send):
            threads = []
            for user in users:
                thread = threading.Thread(target=send, args=(user,))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()


        def notify_pool(users, send):
            return [POOL.submit(send, user) for user in users]


        def start_worker(run):
            threading.Thread(target=run, daemon=True).start()


        def start_pool(size, run):
            for _ in range(size):
                threading.Thread(target=run, daemon=True).start()
    """),
)

THREAD_INVALID = (
    Example(title="A thread per item, never joined", code="""
        import threading


        def notify_all(users, send):
            for user in users:
                threading.Thread(target=send, args=(user,)).start()  # expect
    """),
)
