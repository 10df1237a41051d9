"""Examples of `sequential-await-in-loop` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Requests started together", language="javascript", code="""
        export async function loadAll(ids) {
          return Promise.all(ids.map((id) => fetch(`/api/items/${id}`).then((r) => r.json())));
        }
    """),
    Example(title="Pagination: each request needs the previous cursor", language="javascript", code="""
        export async function allPages(url) {
          const rows = [];
          let cursor = null;
          for (const _ of Array.from({ length: 100 })) {
            const page = await fetch(`${url}?after=${cursor}`).then((r) => r.json());
            rows.push(...page.rows);
            cursor = page.next;
          }
          return rows;
        }
    """),
    Example(title="Retry loop, rate-limited loop", code="""
        import asyncio
        import httpx

        async def fetch_with_retry(client: httpx.AsyncClient, url):
            for attempt in range(5):
                response = await client.get(url)
                if response.status_code < 500:
                    return response
                await asyncio.sleep(2 ** attempt)

        async def crawl(client: httpx.AsyncClient, urls):
            pages = []
            for url in urls:
                pages.append(await client.get(url))
                await asyncio.sleep(1)
            return pages
    """),
    Example(title="Database queries are the n-plus-one family's", language="typescript", files={
        "src/repo.ts": """
            import { prisma } from './db';

            export async function account(id: string) {
              const row = await prisma.account.findUnique({ where: { id } });
              await fetch(`/audit/${id}`);
              return row;
            }
        """,
        "src/jobs.ts": """
            import { account } from './repo';

            export async function load(ids: string[]) {
              const out = [];
              for (const id of ids) out.push(await account(id));
              return out;
            }
        """,
    }),
)

INVALID = (
    Example(title="Awaiting requests one by one", code="""
        import httpx

        async def profiles(user_ids):
            out = []
            async with httpx.AsyncClient() as client:
                for user_id in user_ids:
                    response = await client.get(f"https://api.example.com/users/{user_id}")  # expect
                    out.append(response.json())
            return out
    """),
    Example(title="aiohttp requests in `async with`, one per item", code="""
        import aiohttp

        async def statuses(urls):
            out = {}
            async with aiohttp.ClientSession() as session:
                for url in urls:
                    async with session.get(url) as response:  # expect
                        out[url] = response.status
            return out
    """),
    Example(title="Through a project helper", language="typescript", files={
        "src/api.ts": """
            async function getJson<T>(path: string): Promise<T> {
              const res = await fetch(path);
              return res.json() as Promise<T>;
            }

            export function getItem(id: string) {
              return getJson<{ id: string }>(`/items/${id}`);
            }
        """,
        "src/load.ts": """
            import { getItem } from './api';

            export async function loadItems(ids: string[]) {
              const items = [];
              for (const id of ids) {
                items.push(await getItem(id));  // expect
              }
              return items;
            }
        """,
    }),
)
