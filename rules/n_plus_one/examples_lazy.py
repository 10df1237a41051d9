"""Examples of `lazy-relation-in-loop` (docs and tests). `# expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

_MODELS = """
    from django.db import models


    class Author(models.Model):
        name = models.CharField(max_length=100)
        country = models.ForeignKey("Country", on_delete=models.PROTECT, null=True)


    class Country(models.Model):
        code = models.CharField(max_length=2)


    class Genre(models.Model):
        label = models.CharField(max_length=50)


    class Book(models.Model):
        title = models.CharField(max_length=200)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
        genres = models.ManyToManyField(Genre, blank=True)

        def __str__(self):
            return f"{self.title} by {self.author.name}"

        @property
        def genre_labels(self):
            return ", ".join(g.label for g in self.genres.all())


    class Review(models.Model):
        book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
        stars = models.IntegerField()
"""

_SQLA_MODELS = """
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class Team(Base):
        __tablename__ = "teams"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        members: Mapped[list["Member"]] = relationship(back_populates="team")


    class Member(Base):
        __tablename__ = "members"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
        team: Mapped[Team] = relationship(back_populates="members")
        badges: Mapped[list["Badge"]] = relationship(lazy="selectin")


    class Badge(Base):
        __tablename__ = "badges"
        id: Mapped[int] = mapped_column(primary_key=True)
        member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
"""

_TYPEORM_ENTITIES = """
            import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

            @Entity()
            export class Team {
              @PrimaryGeneratedColumn()
              id: number;

              @Column()
              name: string;
            }

            @Entity()
            export class Player {
              @PrimaryGeneratedColumn()
              id: number;

              @ManyToOne(() => Team)
              team: Promise<Team>;
            }
        """

VALID = (
    Example(title="TypeORM: lazy relation loaded with the query", files={
        "src/entities.ts": _TYPEORM_ENTITIES,
        "src/teams.ts": """
            import { DataSource } from 'typeorm';
            import { Player } from './entities';

            const db = new DataSource({ type: 'postgres' });

            export async function teamIds() {
              const players = await db.getRepository(Player).find({ relations: { team: true } });
              return Promise.all(players.map(async (player) => (await player.team).id));
            }
        """,
    }),
    Example(title="Django: relations loaded with the query", files={
        "library/__init__.py": "",
        "library/models.py": _MODELS,
        "library/views.py": """
            from django.db.models import Count, Prefetch

            from .models import Author, Book, Review


            def catalogue():
                books = Book.objects.select_related("author__country").prefetch_related("genres")
                return [(b.title, b.author.name, b.author.country.code, str(b), b.genre_labels,
                         [g.label for g in b.genres.all()]) for b in books]


            def authors(only_active):
                qs = Author.objects.filter(name__startswith="A")
                if only_active:
                    qs = qs.filter(books__isnull=False)
                qs = qs.prefetch_related(Prefetch("books", queryset=Book.objects.select_related("author")))
                return {a.name: [b.author.name for b in a.books.all()] for a in qs}


            def review_rows():
                rows = Review.objects.values("stars", "book__title")
                return [f"{row['book__title']}: {row['stars']}" for row in rows]


            def author_ids():
                return [book.author_id for book in Book.objects.all()]


            def sizes():
                return {a.name: a.n for a in Author.objects.annotate(n=Count("books"))}


            def titles(books):
                return [book.author.name for book in books]


            def find_title(title):
                for book in Book.objects.filter(title__startswith=title[:3]):
                    if book.title == title:
                        break
                else:  # runs once, after the loop: the last book
                    print("not found; the last one was by", book.author.name)
                return book
        """,
    }),
    Example(title="SQLAlchemy: eager options and eager relationships", files={
        "club/__init__.py": "",
        "club/models.py": _SQLA_MODELS,
        "club/report.py": """
            from sqlalchemy import select
            from sqlalchemy.orm import Session, joinedload, selectinload

            from .models import Member, Team


            def roster(session: Session):
                teams = session.scalars(select(Team).options(selectinload(Team.members))).all()
                return {team.name: [m.id for m in team.members] for team in teams}


            def badges(session: Session):
                members = session.scalars(select(Member).options(joinedload(Member.team))).all()
                return [(m.team.name, len(m.badges)) for m in members]


            def team_sizes(session: Session):
                stmt = select(Team).where(Team.name != "").options(selectinload(Team.members))
                return {team.name: len(team.members) for team in session.scalars(stmt)}
        """,
    }),
)

INVALID = (
    Example(title="Django: foreign keys, reverse and many-to-many relations", files={
        "library/__init__.py": "",
        "library/models.py": _MODELS,
        "library/views.py": """
            from .models import Author, Book


            def shelf():
                rows = []
                for book in Book.objects.filter(title__icontains="python"):
                    rows.append((book.title, book.author.name))  # expect
                    rows.append(book.genres.count())  # expect
                return rows


            def bibliography():
                authors = Author.objects.order_by("name")
                return {
                    author.name: [(b.title, b.reviews.count()) for b in author.books.all()]  # expect
                    for author in authors
                }


            def countries():
                qs = Book.objects.select_related("author")
                return {book.author.country.code for book in qs}  # expect
        """,
    }),
    Example(title="Django: a property and __str__ that read relations", files={
        "library/__init__.py": "",
        "library/models.py": _MODELS,
        "library/export.py": """
            from .models import Book


            def lines():
                out = []
                for book in Book.objects.all():
                    out.append(f"{book}")  # expect
                    out.append(book.genre_labels)  # expect
                return out
        """,
    }),
    Example(title="SQLAlchemy: a lazy relationship per row", files={
        "club/__init__.py": "",
        "club/models.py": _SQLA_MODELS,
        "club/report.py": """
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from .models import Member, Team


            def team_names(session: Session):
                members = session.scalars(select(Member)).all()
                return [member.team.name for member in members]  # expect


            def rosters(session: Session):
                stmt = select(Team).order_by(Team.name)
                return {team.name: [m.id for m in team.members] for team in session.scalars(stmt)}  # expect
        """,
    }),
    Example(title="Sequelize association getter per row", files={
        "src/models.js": """
            const { Sequelize, DataTypes } = require('sequelize');

            const sequelize = new Sequelize(process.env.DATABASE_URL);
            const Post = sequelize.define('Post', { title: DataTypes.STRING });
            const Author = sequelize.define('Author', { name: DataTypes.STRING });
            Post.belongsTo(Author);

            module.exports = { Post, Author };
        """,
        "src/feed.js": """
            const { Post } = require('./models');

            async function feed() {
              const posts = await Post.findAll({ limit: 50 });
              return Promise.all(posts.map(async (post) => {
                const author = await post.getAuthor();  // expect
                return { title: post.title, author: author.name };
              }));
            }

            module.exports = { feed };
        """,
    }),
    Example(title="TypeORM: a lazy relation read per row", files={
        "src/entities.ts": _TYPEORM_ENTITIES,
        "src/teams.ts": """
            import { DataSource } from 'typeorm';
            import { Player } from './entities';

            const db = new DataSource({ type: 'postgres' });

            export async function teamNames() {
              const players = await db.getRepository(Player).find();
              const names: string[] = [];
              for (const player of players) {
                names.push((await player.team).name);  // expect
              }
              return names;
            }
        """,
    }),
)
