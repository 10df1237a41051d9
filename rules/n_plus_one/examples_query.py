"""Examples of `query-in-loop` (docs and tests). `# expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

_DJANGO_MODELS = """
    from django.db import models


    class Supplier(models.Model):
        name = models.CharField(max_length=100)


    class Part(models.Model):
        code = models.CharField(max_length=20, unique=True)
        supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="parts")
        stock = models.IntegerField(default=0)

        def reserved(self):
            return self.reservations.filter(active=True).count()


    class Reservation(models.Model):
        part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="reservations")
        active = models.BooleanField(default=True)
"""

VALID = (
    Example(title="Django: one batched query before the loop", files={
        "inventory/__init__.py": "",
        "inventory/models.py": _DJANGO_MODELS,
        "inventory/sync.py": """
            from .models import Part


            def apply_feed(rows):
                parts = Part.objects.in_bulk([row["code"] for row in rows], field_name="code")
                changed = []
                for row in rows:
                    part = parts.get(row["code"])
                    if part is not None:
                        part.stock = row["stock"]
                        changed.append(part)
                Part.objects.bulk_update(changed, ["stock"], batch_size=500)


            def stock_by_code(codes):
                found = {}
                for chunk in (codes[i:i + 500] for i in range(0, len(codes), 500)):
                    found.update(Part.objects.filter(code__in=chunk).values_list("code", "stock"))
                return found


            def counts_by_state():
                return {state: Part.objects.filter(stock__gt=0, supplier__name=state).count()
                        for state in ("north", "south")}


            def first_known(codes):
                for code in codes:
                    if code.startswith("X"):
                        return Part.objects.get(code=code)
                return None


            def matching_part(supplier, code):
                parts = Part.objects.filter(supplier=supplier)
                for part in parts:
                    if part.code == code:
                        break
                else:  # runs once, after the loop
                    names = [p.code for p in parts]
                    Part.objects.filter(code=code).update(stock=0)
                    raise LookupError(f"{code} not in {names}")
                return part
        """,
    }),
    Example(title="SQLAlchemy: a retry loop and an IN query", code="""
        import time

        from sqlalchemy import select
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.orm import Session


        def wait_for_db(session: Session, attempts: int) -> None:
            for attempt in range(attempts):
                try:
                    session.execute(select(1))
                    return
                except OperationalError:
                    time.sleep(attempt)


        def names(session: Session, model, ids):
            rows = session.scalars(select(model).where(model.id.in_(ids))).all()
            return {row.id: row.name for row in rows}
    """),
    Example(title="JavaScript: array methods, batched queries and pagination", language="javascript", code="""
        const { PrismaClient } = require('@prisma/client');
        const { Pool } = require('pg');

        const prisma = new PrismaClient();
        const pool = new Pool();

        async function attachUsers(orders, users) {
          return orders.map((order) => ({ ...order, user: users.find((u) => u.id === order.userId) }));
        }

        async function loadInChunks(chunks) {
          const out = [];
          for (const ids of chunks) {
            out.push(...(await prisma.user.findMany({ where: { id: { in: ids } } })));
          }
          return out;
        }

        async function stock(skus) {
          const { rows } = await pool.query('SELECT sku, stock FROM products WHERE sku = ANY($1)', [skus]);
          return rows;
        }

        async function allEvents(since) {
          const events = [];
          let cursor = null;
          do {
            const page = await prisma.event.findMany({ where: { createdAt: { gt: since } }, cursor, take: 100 });
            events.push(...page);
            cursor = page.length ? { id: page[page.length - 1].id } : null;
          } while (cursor);
          return events;
        }

        module.exports = { attachUsers, loadInChunks, stock, allEvents };
    """),
)

INVALID = (
    Example(title="Django: look-ups, counts and writes per item", files={
        "inventory/__init__.py": "",
        "inventory/models.py": _DJANGO_MODELS,
        "inventory/views.py": """
            from .models import Part, Reservation, Supplier


            def reorder_report(codes):
                report = []
                for code in codes:
                    part = Part.objects.get(code=code)  # expect
                    busy = Reservation.objects.filter(part=part, active=True).exists()  # expect
                    report.append((part.code, busy))
                return report


            def supplier_sizes():
                return {s.pk: Part.objects.filter(supplier=s).count() for s in Supplier.objects.all()}  # expect


            def import_suppliers(names):
                for name in names:
                    Supplier.objects.create(name=name)  # expect


            def restock(amount):
                for part in Part.objects.filter(stock=0):
                    part.stock = amount
                    part.save()  # expect


            def reserved_total():
                return sum(part.reserved() for part in Part.objects.filter(stock__gt=0))  # expect


            def parts_per_supplier(suppliers):
                for supplier in suppliers:
                    for part in Part.objects.filter(supplier=supplier):  # expect
                        print(part.code)
        """,
    }),
    Example(title="SQLAlchemy and Flask-SQLAlchemy look-ups per item", files={
        "app/__init__.py": "",
        "app/db.py": """
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()


            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                email = db.Column(db.String(200))
        """,
        "app/jobs.py": """
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession

            from .db import User, db


            async def emails(session: AsyncSession, ids: list[int]) -> list[str]:
                out = []
                for user_id in ids:
                    user = await session.get(User, user_id)  # expect
                    out.append(user.email)
                return out


            async def exists_all(session: AsyncSession, ids):
                return [await session.scalar(select(User).where(User.id == i)) for i in ids]  # expect


            def legacy(ids):
                for user_id in ids:
                    user = User.query.filter_by(id=user_id).first()  # expect
                    db.session.delete(user)


            def current(ids):
                return [db.session.get(User, i) for i in ids]  # expect
        """,
    }),
    Example(title="Raw drivers: asyncpg, psycopg2, sqlite3", code="""
        import sqlite3

        import asyncpg
        import psycopg2


        async def prices(dsn, skus):
            conn = await asyncpg.connect(dsn)
            return {sku: await conn.fetchval("SELECT price FROM products WHERE sku = $1", sku)  # expect
                    for sku in skus}


        def mark_shipped(dsn, order_ids):
            conn = psycopg2.connect(dsn)
            cur = conn.cursor()
            for order_id in order_ids:
                cur.execute("UPDATE orders SET shipped = true WHERE id = %s", (order_id,))  # expect
            conn.commit()


        def titles(path, ids):
            db = sqlite3.connect(path)
            return [db.execute("SELECT title FROM books WHERE id = ?", (i,)).fetchone() for i in ids]  # expect
    """),
    Example(title="Sequelize, pg and mysql2 in loops and iteration callbacks", files={
        "src/db.js": """
            const { Sequelize, DataTypes } = require('sequelize');
            const { Pool } = require('pg');
            const mysql = require('mysql2/promise');

            const sequelize = new Sequelize(process.env.DATABASE_URL);
            const Customer = sequelize.define('Customer', { name: DataTypes.STRING });
            const pool = new Pool();
            const legacy = mysql.createPool({ uri: process.env.LEGACY_URL });

            module.exports = { Customer, pool, legacy };
        """,
        "src/report.js": """
            const { Customer, pool, legacy } = require('./db');

            async function names(orders) {
              return Promise.all(orders.map(async (order) => {
                const customer = await Customer.findByPk(order.customerId);  // expect
                return customer.name;
              }));
            }

            async function balances(accounts) {
              const out = {};
              for await (const account of accounts) {
                const { rows } = await pool.query('SELECT balance FROM ledger WHERE account = $1', [account]);  // expect
                out[account] = rows[0];
              }
              return out;
            }

            function archive(ids) {
              ids.forEach(async (id) => {
                await legacy.execute('UPDATE orders SET archived = 1 WHERE id = ?', [id]);  // expect
              });
            }

            module.exports = { names, balances, archive };
        """,
    }),
    Example(title="Prisma, Mongoose, TypeORM and Knex", files={
        "src/db.ts": """
            import { PrismaClient } from '@prisma/client';
            import mongoose, { Schema } from 'mongoose';
            import knex from 'knex';

            export const prisma = new PrismaClient();
            export const Device = mongoose.model('Device', new Schema({ owner: String }));
            export const warehouse = knex({ client: 'pg' });
        """,
        "src/sync.ts": """
            import { Repository } from 'typeorm';

            import { Device, prisma, warehouse } from './db';
            import { Shipment } from './entities';

            export async function owners(ids: string[]) {
              return Promise.all(ids.map((id) => prisma.user.findUnique({ where: { id } })));  // expect
            }

            export async function devices(tokens: string[]) {
              const out = [];
              for (const token of tokens) {
                out.push(await Device.findOne({ token }).lean());  // expect
              }
              return out;
            }

            export class ShipmentService {
              constructor(private readonly shipments: Repository<Shipment>) {}

              async statuses(ids: number[]) {
                const out: string[] = [];
                for (const id of ids) {
                  const shipment = await this.shipments.findOneBy({ id });  // expect
                  out.push(shipment?.status ?? 'unknown');
                }
                return out;
              }
            }

            export async function bins(skus: string[]) {
              const out = [];
              for (const sku of skus) {
                out.push(await warehouse('bins').where({ sku }).first());  // expect
              }
              return out;
            }
        """,
    }),
    Example(title="Queries through the client a transaction callback receives", language="typescript", code="""
        import { PrismaClient } from '@prisma/client';
        import { DataSource } from 'typeorm';

        const prisma = new PrismaClient();
        const dataSource = new DataSource({ type: 'postgres' });

        export async function deactivate(ids: string[]) {
          await prisma.$transaction(async (tx) => {
            for (const id of ids) {
              await tx.user.update({ where: { id }, data: { active: false } });  // expect
            }
          });
        }

        export async function audit(ids: number[]) {
          await dataSource.transaction(async (manager) => {
            for (const id of ids) {
              await manager.insert('audit', { id, at: new Date() });  // expect
            }
          });
        }
    """),
    Example(title="A helper in another file that queries, called in a loop", files={
        "shop/__init__.py": "",
        "shop/models.py": """
            from django.db import models


            class Coupon(models.Model):
                code = models.CharField(max_length=20)
                percent = models.IntegerField()
        """,
        "shop/pricing.py": """
            from .models import Coupon


            def _coupon(code):
                return Coupon.objects.filter(code=code).first()


            def discount(code):
                coupon = _coupon(code)
                return coupon.percent if coupon else 0
        """,
        "shop/cart.py": """
            from .pricing import discount


            def cart_discounts(lines):
                return [discount(line["coupon"]) for line in lines]  # expect
        """,
    }),
    Example(title="TypeScript helper awaited per item", files={
        "src/db.ts": """
            import { PrismaClient } from '@prisma/client';

            export const db = new PrismaClient();
        """,
        "src/accounts.ts": """
            import { db } from './db';

            export async function planOf(userId: string): Promise<string> {
              const account = await db.account.findFirst({ where: { userId } });
              return account?.plan ?? 'free';
            }
        """,
        "src/digest.ts": """
            import { planOf } from './accounts';

            export async function digest(userIds: string[]): Promise<string[]> {
              const lines: string[] = [];
              for (const userId of userIds) {
                lines.push(`${userId}: ${await planOf(userId)}`);  // expect
              }
              return lines;
            }
        """,
    }),
)
