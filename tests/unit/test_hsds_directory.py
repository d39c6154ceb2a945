"""The public HSDS directory in process: its filters against a brute-force oracle, paging, change
times, parameters, and the builders' URL/e-mail values against a strict JSON Schema format checker."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resourcemap.cities import SEED_CITIES
from resourcemap.errors import InputError, UnknownCategory
from resourcemap.geo import haversine_m, load_chome
from resourcemap.graph.readmodel import ReadModel
from resourcemap.graph.stores.sqlite import SQLiteStore
from resourcemap.hsds.directory import PublicDirectory, ServiceFilter
from resourcemap.hsds.mapping import NAMESPACE, as_email, as_uri, hsds_id, taxonomy_terms
from resourcemap.hsds.params import JST, paging, parse_modified_after, parse_proximity, place_of
from resourcemap.taxonomy import load_taxonomy
from resourcemap.textnorm import normalize
from tests.api.hsds_catalogue import prepare
from tests.conftest import copy_catalogue


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory, seeded_db):
    db = copy_catalogue(seeded_db, tmp_path_factory.mktemp("hsds-dir") / "catalogue.db")
    made = prepare(db)
    store = SQLiteStore(db, create=False)
    rm = ReadModel(store)
    removed = [e for e in store.query_edges(include_deleted=True) if e.deleted]
    yield PublicDirectory(rm, removed), made, store
    rm.close()
    store.close()


WORDS = ["相談", "居場所", "こども食堂", "社会福祉協議会", "ひきこもり", "白糸台", "通所", "8050", "ボランティア",
         "地域包括支援センター", "介護予防", "LUCK", "ｌｕｃｋ", "", "zz"]
PLACES = [f"{SEED_CITIES[c].name}{load_chome(c)[k].town}" for c in SEED_CITIES for k in (0, 5, 11)] + ["35.6666,139.5162"]


def _oracle(d: PublicDirectory, f: ServiceFilter) -> list[tuple[str, float | None]]:
    """Every public service tested one by one against the served objects; distances by haversine."""
    tax = load_taxonomy()
    terms = {t["id"]: t for t in taxonomy_terms()}

    def ancestors(term_id: str):
        while term_id in terms:
            yield term_id
            term_id = terms[term_id].get("parent_id", "")

    named: set[str] = set()
    if f.search:
        try:
            named = tax.descendants(tax.resolve(f.search).category.id)
        except UnknownCategory:
            pass

    def ok(node_id: str) -> bool:
        n, svc = d.rm.node(node_id), d.service(node_id)
        if f.search:
            text = normalize(" ".join(filter(None, (n.name, n.alternate_name, n.description, n.address,
                                                    svc.get("organization", {}).get("name")))))
            key = normalize(f.search)
            if not ((key and key in text) or named & set(n.categories)):
                return False
        attrs = [a["taxonomy_term_id"] for a in svc.get("attributes", [])]
        if f.taxonomy_term_id is not None and not any(f.taxonomy_term_id in ancestors(a) for a in attrs):
            return False
        if f.taxonomy_id is not None and not any(terms[a]["taxonomy_id"] == f.taxonomy_id for a in attrs):
            return False
        if f.organization_id is not None and svc.get("organization_id") != f.organization_id:
            return False
        if f.modified_after is not None and datetime.fromisoformat(svc["last_modified"]) < f.modified_after:
            return False
        if f.place is not None and f.proximity_m is None:
            area = d.rm.node(svc["jp_area_id"]) if "jp_area_id" in svc else None
            if area is not None and not (area.city == f.place.city and ("*" in area.chome or f.place.chome in area.chome)):
                return False
            if area is None and svc["jp_city_code"] != f.place.city:
                return False
        return True

    hits = [nid for nid in sorted(d.services) if ok(nid)]
    if f.proximity_m is None:
        return [(nid, None) for nid in hits]
    near = [(nid, haversine_m(f.place.lat, f.place.lng, d.rm.node(nid).lat, d.rm.node(nid).lng))
            for nid in hits if d.rm.node(nid).located]
    return sorted(((nid, m) for nid, m in near if m <= f.proximity_m), key=lambda t: (t[1], t[0]))


@st.composite
def filters(draw, d: PublicDirectory) -> ServiceFilter:
    """Up to three filters at a time (more would leave almost every page empty), a place half the time."""
    terms = [t["id"] for t in taxonomy_terms()]
    orgs = [hsds_id("organization", o) for o in d.organizations]
    times = sorted({m for m in d.modified.values() if m is not None})
    on = draw(st.sets(st.sampled_from(["search", "term", "taxonomy", "organization", "modified"]), max_size=3))
    place = draw(st.one_of(st.none(), st.sampled_from(PLACES)))
    return ServiceFilter(
        search=draw(st.one_of(st.sampled_from(WORDS), st.text(max_size=3))) if "search" in on else None,
        taxonomy_term_id=draw(st.one_of(st.sampled_from(terms), st.just("not-a-term"))) if "term" in on else None,
        taxonomy_id=draw(st.sampled_from([hsds_id("taxonomy", "resourcemap:category"),
                                          hsds_id("taxonomy", "resourcemap:bunya"), "x"])) if "taxonomy" in on else None,
        organization_id=draw(st.sampled_from(orgs)) if "organization" in on else None,
        modified_after=draw(st.sampled_from(times).map(lambda t: t + timedelta(seconds=draw(st.sampled_from([0, 1])))))
        if "modified" in on else None,
        place=place_of(place) if place else None,
        proximity_m=draw(st.floats(50, 30_000)) if place and draw(st.integers(0, 3)) else None)


def test_service_filters_agree_with_a_brute_force_oracle(catalogue):
    d = catalogue[0]

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    def check(data):
        f = data.draw(filters(d))
        got, want = d.find_services(f), _oracle(d, f)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert all(g[1] is None and w[1] is None or abs(g[1] - w[1]) < 0.01 for g, w in zip(got, want))
        located = d.find_services(f, located=True)
        assert [g[0] for g in located] == [g for g, _ in got if d.rm.node(g).located or d.rm.node(g).address]

    check()


def test_proximity_and_search_find_what_is_there(catalogue):
    d = catalogue[0]
    near = d.find_services(ServiceFilter(place=place_of("府中市新町一丁目"), proximity_m=1500))
    assert near and [m for _, m in near] == sorted(m for _, m in near) and near[-1][1] <= 1500
    assert "mhlw.1393800279" in {nid for nid, _ in near}  # a real site on 新町一丁目
    found = {nid for nid, _ in d.find_services(ServiceFilter(search="ひきこもり"))}
    assert found and all("hikikomori" in d.rm.node(n).categories or "ひきこもり" in normalize(
        " ".join(filter(None, (d.rm.node(n).name, d.rm.node(n).description)))) for n in found)


def test_last_modified_follows_every_part_of_the_object(catalogue):
    d, made, store = catalogue
    bulk = min(m for m in d.modified.values() if m is not None)
    for node_id in made["edited"] + made["unlinked"]:  # an edited node; a service whose organization link was removed
        assert d.modified[node_id] > bulk
        assert "organization" not in d.service(node_id) or node_id not in made["unlinked"]
    later = d.find_services(ServiceFilter(modified_after=bulk + timedelta(seconds=1)))
    assert set(made["edited"] + made["unlinked"]) <= {nid for nid, _ in later}
    assert len(later) < len(d.services)


@given(total=st.integers(0, 120), per_page=st.integers(1, 50), page=st.integers(1, 10))
def test_pages_cut_the_list_without_gaps_or_overlaps(total, per_page, page):
    items = list(range(total))
    chunk, meta = paging(page, per_page).cut(items)
    assert chunk == items[(page - 1) * per_page: page * per_page]
    assert meta["total_items"] == total and meta["size"] == len(chunk) and meta["empty"] == (not chunk)
    assert meta["total_pages"] == -(-total // per_page) and meta["first_page"] == (page == 1)
    assert meta["last_page"] == (page * per_page >= total)
    everything, meta = paging(None, None, everything=True).cut(items)
    assert everything == items and meta["last_page"]


@pytest.mark.parametrize("call, message", [
    (lambda: paging(0, None), "page は 1 以上"),
    (lambda: paging(1, 1001), "per_page は 1〜1000"),
    (lambda: parse_modified_after("yesterday"), "ISO 8601"),
    (lambda: parse_proximity("-5"), "proximity"),
    (lambda: parse_proximity("nan"), "proximity"),
    (lambda: place_of("183-0011"), "郵便番号"),
    (lambda: place_of("35.0,150.0"), "区域外"),  # the Pacific: no municipality of Japan (40.0,140.0 is 秋田県 now)
])
def test_bad_parameters_say_what_to_send(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_modified_after_without_offset_is_japan_time():
    assert parse_modified_after("2026-04-01T09:00:00") == datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)
    assert parse_modified_after("2026-04-01T00:00:00Z") == datetime(2026, 4, 1, tzinfo=timezone.utc)
    assert parse_modified_after("2026-04-01").tzinfo == JST


_URI = jsonschema_rs.validator_for({"type": "string", "format": "uri"}, validate_formats=True)
_EMAIL = jsonschema_rs.validator_for({"type": "string", "format": "email"}, validate_formats=True)
_CHARS = st.sampled_from(list("abcxyzAZ09-._~:/?#[]@!$&'()*+,;=% あ例\\\"<>{}|^`"))


@given(scheme=st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "", "https//", "http://user@"]),
       host=st.sampled_from(["example.jp", "例え.jp", "a-b.example", "", "example.jp:8080", "example.jp:", "a..b.jp"]),
       rest=st.text(_CHARS, max_size=20), local=st.text(_CHARS, max_size=8))
def test_urls_and_emails_come_out_valid_or_not_at_all(scheme, host, rest, local):
    """Whatever text a node holds, what the builders publish as ``url``/``email`` passes a strict format check."""
    uri = as_uri(scheme + host + "/" + rest)
    assert uri is None or _URI.is_valid(uri)
    email = as_email(local + "@" + host)
    assert email is None or _EMAIL.is_valid(email)


@given(what=st.sampled_from(["service", "location", "organization", "attribute:eligibility", "resourcemap:category"]),
       key=st.text(max_size=40))
def test_hsds_ids_are_the_uuid5_of_our_ids(what, key):
    assert hsds_id(what, key) == str(uuid.uuid5(NAMESPACE, f"{what}:{key}"))


def test_ids_of_existing_exports_never_change():
    """Published ids must survive every release: these are in files exported before the API existed."""
    assert hsds_id("service", "fuchu.agency.hokatsu") == "84ba9e35-766f-5ea4-a30e-3211845d0e6a"
    assert hsds_id("resourcemap:category", "consult") == "1f24ccd5-951f-58f0-96f8-28d63ca49b9f"


def test_well_formed_values_are_kept_and_iris_converted():
    assert as_uri("https://www.city.fuchu.tokyo.jp/kenko/index.html") == "https://www.city.fuchu.tokyo.jp/kenko/index.html"
    assert as_uri("https://例え.jp/パス") == "https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9"
    assert as_uri("https//www.sompocare.com/") is None and as_uri("http://hp.kaipoke..biz/66f/") is None
    assert as_email("info@例え.jp") == "info@xn--r8jz45g.jp" and as_email("窓口@example.jp") is None


def test_every_profile_field_is_documented():
    from pathlib import Path

    from resourcemap.hsds.mapping import PROFILE_FIELDS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "hsds.md").read_text(encoding="utf-8")
    missing = [name for name in PROFILE_FIELDS if f"`{name}`" not in doc]
    assert not missing, f"docs/hsds.md does not document {missing}"
