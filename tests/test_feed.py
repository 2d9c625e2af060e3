"""The feed on both databases: rules first with reasons, 换一批 never repeats, periods, seen state."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from academichub.errors import InputError
from academichub.i18n import gettext_for
from academichub.ingest.pipeline import ingest
from academichub.keys import normalise_category
from academichub.model import Paper
from academichub.model.accounts import Radar
from academichub.present.feed import page_json
from academichub.radar import periods
from academichub.radar.feed import FeedService
from academichub.radar.rulematch import every_match
from academichub.radar.subscriptions import follow, unfollow
from academichub.search.service import search
from academichub.settings import FeedSettings
from academichub.sources import biorxiv, pubmed
from academichub.storage.store import Store
from tests.conftest import DATA

HIS_PAPERS = {"arxiv:2503.13139", "arxiv:2508.06869", "arxiv:2509.21113"}
zh, en = gettext_for("zh"), gettext_for("en")


@pytest.fixture
def feed(sample_store: Store) -> FeedService:
    return FeedService(sample_store, FeedSettings())


def test_default_period_is_the_latest_announcement_days_in_the_store(feed: FeedService, fresh_radar: Radar) -> None:
    page = feed.current(fresh_radar)
    assert page.batch == 1 and len(page.cards) == 10
    assert page.period.spec == "recent" and page.period.end == date(2025, 9, 26)
    assert page.period.start == date(2025, 9, 22)  # five announcement days back, not today's date
    assert [c.number for c in page.cards] == list(range(1, 11))
    assert all(c.work.feed_date >= page.period.start for c in page.cards)


def test_followed_author_comes_first_with_the_reason(feed: FeedService, sample_store: Store, fresh_radar: Radar) -> None:
    follow(sample_store, fresh_radar.id, "author", "Jianxiang He")
    data = page_json(feed.current(fresh_radar), zh)
    top = data["items"][:3]
    assert {item["id"] for item in top} == HIS_PAPERS
    assert all("作者: Jianxiang He" in item["reasons"] for item in top)
    assert all("Jianxiang He" in item["authors"] for item in top)
    assert not any("作者: Jianxiang He" in item["reasons"] for item in data["items"][3:])
    assert top[0]["source_label"] == "arXiv (CS.CV)"
    assert page_json(feed.current(fresh_radar), en)["items"][0]["reasons"][0] == "Author: Jianxiang He"


def test_an_author_typed_family_name_first_is_the_same_chip(feed: FeedService, sample_store: Store,
                                                              fresh_radar: Radar) -> None:
    # "He, Jianxiang", as a reference manager lists him, was a second chip beside "Jianxiang He",
    # shown as typed on the page and in every reason.
    first = follow(sample_store, fresh_radar.id, "author", "He, Jianxiang")
    assert (first.value, first.value_key) == ("Jianxiang He", "jianxiang he")
    assert follow(sample_store, fresh_radar.id, "author", "Jianxiang He").id == first.id
    top = page_json(feed.current(fresh_radar), en)["items"][:3]
    assert {item["id"] for item in top} == HIS_PAPERS and top[0]["reasons"][0] == "Author: Jianxiang He"
    assert follow(sample_store, fresh_radar.id, "author", "King, Jr., Martin").value == "Martin King Jr."
    assert follow(sample_store, fresh_radar.id, "author", "King, Jr.").value == "King Jr."
    unfollow(sample_store, fresh_radar.id, "author", "He, Jianxiang")  # unfollowed as it was typed
    assert [s.value for s in sample_store.accounts.subscriptions(fresh_radar.id)] == ["Martin King Jr.", "King Jr."]
    # A chip followed so before names were turned round kept the typed order as its key: still unfollowed as typed.
    sample_store.accounts.add_subscription(fresh_radar.id, "author", "Guo, Weiyu", "guo weiyu", limit=200)
    unfollow(sample_store, fresh_radar.id, "author", "Guo, Weiyu")
    assert "Guo, Weiyu" not in [s.value for s in sample_store.accounts.subscriptions(fresh_radar.id)]


@pytest.mark.parametrize("typed, names", [
    ("Jianxiang He, Weiyu Guo", ["Jianxiang He", "Weiyu Guo"]),
    ("Jianxiang He, W. Guo, Hui Xiong", ["Jianxiang He", "W. Guo", "Hui Xiong"]),
    ("He, Jianxiang, Guo, Weiyu", ["Jianxiang He", "Weiyu Guo"]),
])
def test_several_authors_typed_as_one_are_refused_with_each_name(store: Store, typed: str, names: list[str]) -> None:
    # "Jianxiang He, Weiyu Guo" was one chip that matched no paper (and turned round it reads
    # "Weiyu Guo Jianxiang He"): each name is offered to follow on its own.
    _, radar = store.accounts.ensure_local_user()
    with pytest.raises(InputError, match="names several authors") as refused:
        follow(store, radar.id, "author", typed)
    assert refused.value.problem == "author-list" and list(refused.value.suggestions) == names
    for one in ("He, Jianxiang", "van der Waals, Johannes Diderik", "King, Martin, Jr.", "He, J."):
        assert " " in follow(store, radar.id, "author", one).value  # one name, family first: followed


def test_next_batches_never_repeat_a_work(feed: FeedService, sample_store: Store, fresh_radar: Radar) -> None:
    follow(sample_store, fresh_radar.id, "keyword", "language model")
    shown = [c.work.id for c in feed.current(fresh_radar).cards]
    for number in range(2, 22):
        page = feed.next(fresh_radar)
        assert page.batch == number
        ids = [c.work.id for c in page.cards]
        assert ids and not set(ids) & set(shown)
        shown += ids
    assert len(shown) == len(set(shown)) == 210
    assert feed.current(fresh_radar).batch == 21  # the current batch is the last one shown


def test_keyword_and_category_reasons(feed: FeedService, sample_store: Store, fresh_radar: Radar) -> None:
    follow(sample_store, fresh_radar.id, "keyword", "unlearning")
    follow(sample_store, fresh_radar.id, "category", "astro-ph.ga")
    data = page_json(feed.current(fresh_radar, period="month"), zh)
    reasons = [r for item in data["items"] for r in item["reasons"]]
    assert "关键词: unlearning" in reasons
    first = data["items"][0]
    assert "关键词: unlearning" in first["reasons"] and "unlearning" in (first["title"] + first["abstract"]).lower()
    assert any(r == "astro-ph.GA" for r in reasons)


def test_subscription_change_reranks_the_current_batch(feed: FeedService, sample_store: Store, fresh_radar: Radar) -> None:
    before = feed.current(fresh_radar)
    sub = follow(sample_store, fresh_radar.id, "author", "Jianxiang He")
    after = feed.current(fresh_radar)
    assert after.batch == before.batch == 1
    assert {c.work.public_id for c in after.cards[:3]} == HIS_PAPERS
    sample_store.accounts.remove_subscription(fresh_radar.id, sub.id)
    follow(sample_store, fresh_radar.id, "author", "jianxiang  HE")  # same key, re-added
    assert {c.work.public_id for c in feed.current(fresh_radar).cards[:3]} == HIS_PAPERS


def test_periods_and_show_seen(feed: FeedService, fresh_radar: Radar) -> None:
    latest = feed.current(fresh_radar, period="latest")
    assert latest.period.start == latest.period.end == date(2025, 9, 26)
    assert all(c.work.feed_date == date(2025, 9, 26) for c in latest.cards)
    ranged = feed.current(fresh_radar, period="2025-08-11..2025-08-15")
    assert all(date(2025, 8, 11) <= c.work.feed_date <= date(2025, 8, 15) for c in ranged.cards)
    seen_ids = {c.work.id for c in ranged.cards}
    assert feed.next(fresh_radar).cards[0].work.id not in seen_ids
    again = feed.current(fresh_radar, period="2025-08-11..2025-08-15", show_seen=True)
    assert again.batch is None and again.show_seen
    assert {c.work.id for c in again.cards} == seen_ids and all(c.seen for c in again.cards)


def test_a_new_announcement_day_starts_a_new_batch(feed: FeedService, sample_store: Store, fresh_radar: Radar) -> None:
    from academichub.ingest.pipeline import ingest
    from academichub.model import Author, Paper

    first = feed.current(fresh_radar)
    fresh = Paper(title="A paper announced after the sample", source="arxiv", arxiv_id="2509.99999",
                  arxiv_version=1, abstract="Tomorrow's news.", authors=[Author("New Author", "new author")],
                  categories=["cs.AI"], primary_category="cs.AI", announced=date(2025, 9, 29))
    ingest(sample_store, [fresh], source="arxiv")
    try:
        tomorrow = feed.current(fresh_radar)
        assert tomorrow.batch == first.batch + 1
        assert not {c.work.id for c in tomorrow.cards} & {c.work.id for c in first.cards}
        assert "arxiv:2509.99999" in {c.work.public_id for c in tomorrow.cards}
    finally:  # the store is shared by this module's tests
        with sample_store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM works WHERE arxiv_id = '2509.99999'")
        sample_store.sync_index()


@pytest.mark.parametrize("spec", ["yesterday", "2025-13-01..2025-12-01", "2025-09-10..2025-09-01", ".."])
def test_bad_periods_are_refused(spec: str) -> None:
    with pytest.raises(InputError, match="feed: "):
        periods.check_spec(spec)


def test_subscription_validation(sample_store: Store, fresh_radar: Radar) -> None:
    assert normalise_category("CS.cl") == "cs.CL" and normalise_category("physics.OPTICS") == "physics.optics"
    with pytest.raises(InputError, match="not an arXiv category"):
        follow(sample_store, fresh_radar.id, "category", "computer science")
    with pytest.raises(InputError, match="unknown subscription kind"):
        follow(sample_store, fresh_radar.id, "planet", "Mars")
    with pytest.raises(InputError, match="not following"):
        unfollow(sample_store, fresh_radar.id, "author", "Nobody")
    first = follow(sample_store, fresh_radar.id, "author", "Jianxiang He")
    assert follow(sample_store, fresh_radar.id, "author", "Jianxiang He").id == first.id


def test_a_subject_outside_arxivs_taxonomy_is_refused_with_the_nearest_real_ones(
        sample_store: Store, fresh_radar: Radar) -> None:
    """"cs.ML" (arXiv's machine learning is stat.ML or cs.LG) and "cs.ZZ" were followed: a chip
    that could never match a paper, while "astroph.ga" was refused."""
    for typo, nearest in (("cs.ML", "stat.ML"), ("CS.zz", None), ("math.XX", None), ("physics.optic", "physics.optics")):
        with pytest.raises(InputError, match="not an arXiv category") as refused:
            follow(sample_store, fresh_radar.id, "category", typo)
        assert refused.value.problem == "category" and refused.value.suggestions
        assert nearest is None or refused.value.suggestions[0] == nearest, refused.value.suggestions
        with pytest.raises(InputError, match="not an arXiv category"):
            normalise_category(typo)
    for real, spelled in (("stat.ml", "stat.ML"), ("math.mp", "math.MP"), ("cond-mat.MES-HALL", "cond-mat.mes-hall"),
                          ("astro-ph", "astro-ph"), ("hep-th", "hep-th"), ("eess.sy", "eess.SY")):
        assert follow(sample_store, fresh_radar.id, "category", real).value == spelled
    assert {c.value for c in sample_store.accounts.subscriptions(fresh_radar.id)} >= {"stat.ML", "astro-ph"}


def test_a_category_of_another_source_is_followed_as_its_papers_spell_it(store: Store) -> None:
    """bioRxiv's categories are words ("cell biology"): following one was refused as "not an arXiv
    category", so a reader of bioRxiv could not follow their field."""
    page = biorxiv.parse((DATA / "biorxiv/details_10.1101_641381.json").read_bytes())
    cell = replace(page.items[0], categories=["cell biology"], primary_category="cell biology")
    report = ingest(store, [cell], source="biorxiv")
    assert report.new == 1
    user = store.accounts.create_user("reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    chip = follow(store, radar.id, "category", "  Cell  Biology ")
    assert (chip.value, chip.value_key) == ("cell biology", "cell biology")
    card, = FeedService(store, FeedSettings(batch_size=10)).current(radar, period="all").cards
    assert card.work.paper.doi == "10.1101/641381"
    assert ("category", "cell biology") in {(r.kind, r.value) for r in card.reasons}
    with pytest.raises(InputError, match="nor a category of any stored paper") as refused:
        follow(store, radar.id, "category", "cell biologi")
    assert refused.value.suggestions[0] == "cell biology"
    assert unfollow(store, radar.id, "category", "CELL BIOLOGY").id == chip.id


def test_a_venue_is_followed_and_filtered_by_its_name_however_a_source_spells_it(store: Store) -> None:
    """PubMed names a journal with the NLM's place and year ("Journal of magnetic resonance (San
    Diego, Calif. : 1997)"), Crossref "Journal of Magnetic Resonance", a reader may type "The …" or
    "&" for "and": a followed venue matched only its exact spelling, so PubMed's papers never came."""
    record = next(p for p in pubmed.parse((DATA / "pubmed/pubmed2.xml").read_bytes()) if p.pmid == "11700088")
    assert record.venue == "Journal of magnetic resonance (San Diego, Calif. : 1997)"
    journal = Paper(title="Relaxation in porous media measured at low field", source="crossref", doi="10.1016/j.jmr.x1",
                    venue="Journal of Magnetic Resonance", published=date(2001, 11, 2))
    other = Paper(title="Another journal entirely", source="crossref", doi="10.1016/j.x2", venue="Journal of Magnetic",
                  published=date(2001, 11, 2))
    ingest(store, [record, journal, other], source="pubmed")
    wanted = {store.works.id_for_public("pmid:11700088"), store.works.id_for_public("doi:10.1016/j.jmr.x1")}
    user = store.accounts.create_user("reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    chip = follow(store, radar.id, "venue", "The Journal of  Magnetic Resonance")
    assert follow(store, radar.id, "venue", "journal of magnetic resonance.").id == chip.id  # one chip, not two
    assert set(every_match(store, "venue", chip.value_key).tolist()) == wanted
    # The works an ingest changed are keyed by their own venues: every venue of the store was read
    # and keyed again at each advance, every second of a bulk ingest.
    changed = np.array(sorted(store.works.ids()), dtype=np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store.works, "venue_spellings", lambda names: pytest.fail("read every venue"))
        assert set(every_match(store, "venue", chip.value_key, changed[1:]).tolist()) == wanted - {int(changed[0])}
    cards = FeedService(store, FeedSettings(batch_size=10)).current(radar, period="all").cards
    assert {c.work.id for c in cards if ("venue", chip.value) in {(r.kind, r.value) for r in c.reasons}} == wanted
    found = search(store, "proton OR porous OR another", venue="journal of magnetic resonance", mode="text")
    assert {work.id for work, _ in found.hits} == wanted  # the index's filter
    assert set(store.works.ids_filtered(venue="The Journal of Magnetic Resonance")) == wanted  # the database's
    assert store.works.venue_spellings(["Astronomy & Astrophysics"]) == []
    with pytest.raises(InputError, match="no letter or digit"):
        follow(store, radar.id, "venue", " () ")
    # A venue followed before (its key the name case folded) is matched and unfollowed the same way.
    old = store.accounts.add_subscription(radar.id, "venue", "The Journal of Magnetic Resonance",
                                          "the journal of magnetic resonance")
    assert set(every_match(store, "venue", old.value_key).tolist()) == wanted
    unfollow(store, radar.id, "venue", "Journal of Magnetic Resonance")
    unfollow(store, radar.id, "venue", "Journal of Magnetic Resonance")
    assert [s for s in store.accounts.subscriptions(radar.id) if s.kind == "venue"] == []


def test_a_withdrawn_preprint_is_never_recommended(store: Store) -> None:
    """arXiv keeps a withdrawn paper listed, its comment saying so ("This paper has been withdrawn
    by the authors."; 13 of the 51,698 corpus papers): it was recommended like any other."""
    from academichub.sources import arxiv_api

    papers = arxiv_api.parse((DATA / "arxiv_api/q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes()).items
    withdrawn = replace(papers[0], comment="This paper has been withdrawn by the authors.")
    ingest(store, [withdrawn, *papers[1:]], source="arxiv")
    user = store.accounts.create_user("reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    feed = FeedService(store, FeedSettings(batch_size=20))
    shown = {c.work.paper.arxiv_id for c in feed.current(radar, period="all").cards}
    assert shown == {p.arxiv_id for p in papers[1:]}
    # A later version withdrawn by arXiv's administrators: gone from the next ranking of the same process.
    later = replace(papers[1], arxiv_version=(papers[1].arxiv_version or 1) + 1,
                    comment="arXiv admin note: This submission has been withdrawn by arXiv administrators")
    ingest(store, [later], source="arxiv")
    ranked = feed.ranked(radar, feed.period("all"), set(), 20)
    assert {store.works.get(r.work_id).paper.arxiv_id for r in ranked} == {p.arxiv_id for p in papers[2:]}


def test_next_after_a_page_is_that_pages_next_batch_once_and_never_a_seen_one(
        feed: FeedService, sample_store: Store, fresh_radar: Radar, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page's form names the batch it showed. Sent twice at once it is one batch; sent from a
    # page the reader went back to, it is a new batch: showing the one they saw next repeated it.
    import time

    from academichub.radar import feed as feed_module

    follow(sample_store, fresh_radar.id, "category", "cs.CL")
    first = feed.current(fresh_radar, period="all")
    second = feed.next_after(fresh_radar, period="all", after=first.batch)
    again = feed.next_after(fresh_radar, period="all", after=first.batch)  # the same form, moments later
    assert second.batch == first.batch + 1 and again.batch == second.batch
    assert [c.work.id for c in again.cards] == [c.work.id for c in second.cards]
    monkeypatch.setattr(feed_module, "SENT_TWICE_SECONDS", 0.2)
    time.sleep(0.3)
    back = feed.next_after(fresh_radar, period="all", after=first.batch)  # the first page, gone back to
    assert back.batch == second.batch + 1
    shown = [c.work.id for page in (first, second, back) for c in page.cards]
    assert len(shown) == 30 and len(set(shown)) == 30


def test_a_store_whose_newest_paper_is_dated_in_year_one_still_has_a_week(store: Store) -> None:
    """A feed dated a paper 0001-01-03 (a placeholder date some publishers print): while it was the
    store's newest, "this week", "this month" and a followed author's look-back reached before
    the calendar's first day, an OverflowError on every feed request."""
    from academichub.ingest.pipeline import ingest
    from academichub.keys import make_author
    from academichub.model import Paper

    paper = Paper(title="A paper from a placeholder date", source="journal", doi="10.1234/placeholder.1",
                  authors=[make_author("Ada Lovelace")], published=date(1, 1, 3), abstract="Analytical engines.")
    assert ingest(store, [paper], source="journal").new == 1
    for spec, start in (("week", date(1, 1, 1)), ("month", date(1, 1, 1)), ("latest", date(1, 1, 3))):
        assert periods.resolve(spec, store.works, recent_days=5) == periods.Period(spec, start, date(1, 1, 3))
    user = store.accounts.create_user("placeholder-reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    follow(store, radar.id, "author", "Ada Lovelace")
    feed = FeedService(store, FeedSettings())
    for spec in ("recent", "week", "month"):
        page = feed.current(store.accounts.get_radar(radar.id), period=spec)
        assert [c.work.paper.doi for c in page.cards] == ["10.1234/placeholder.1"]


def test_a_withdrawn_biorxiv_preprint_is_never_recommended(store: Store) -> None:
    """bioRxiv withdraws a preprint with a new version typed "withdrawn" whose abstract says so; it
    carries no comment, so only arXiv's withdrawals were left out of the feed."""
    import json

    document = json.loads((DATA / "biorxiv/details_10.1101_641381.json").read_text())
    first, second = document["collection"]
    other = {**first, "doi": "10.1101/000002", "title": "Another preprint about histone variants"}
    withdrawn = {**second, "type": "withdrawn",
                 "abstract": "The authors have withdrawn this manuscript because the data are being reanalysed."}
    page = biorxiv.parse(json.dumps({**document, "collection": [first, other]}).encode())
    ingest(store, page.items, source="biorxiv")
    user = store.accounts.create_user("reader", "Reader")
    radar = store.accounts.default_radar(user.id)
    feed = FeedService(store, FeedSettings(batch_size=10))
    assert {c.work.paper.doi for c in feed.current(radar, period="all").cards} == {"10.1101/641381", "10.1101/000002"}
    ingest(store, biorxiv.parse(json.dumps({**document, "collection": [withdrawn]}).encode()).items, source="biorxiv")
    assert "withdrawn" in (store.works.get(store.works.id_for_public("doi:10.1101/641381")).paper.comment or "")
    ranked = feed.ranked(radar, feed.period("all"), set(), 10)
    assert [store.works.get(r.work_id).paper.doi for r in ranked] == ["10.1101/000002"]
