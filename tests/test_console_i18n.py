"""The console speaks Chinese by default and English on request; its catalog is complete."""
from __future__ import annotations

import pathlib

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from console_support import Console

ROOT = pathlib.Path(__file__).resolve().parents[1]
CATALOG = ROOT / "platform/gridgov/translations/zh_Hans_CN/LC_MESSAGES"


def read_catalog(name: str):
    with open(CATALOG / name, "rb") as f:
        return (read_po if name.endswith(".po") else read_mo)(f)


def test_console_is_chinese_by_default_and_english_on_request(client, factory):
    factory.user("alice", tenant=factory.tenant("alpha", name="Alpha"))
    console = Console(client)
    console.login("alice")
    page = console.get("/admin/grids/").get_data(as_text=True)
    assert "网格化管理控制台" in page and "编码" in page and "退出登录" in page
    assert "列表" in page  # Flask-Admin's own strings, from its zh_Hans_CN catalog
    page = console.get("/admin/grids/?lang=en").get_data(as_text=True)
    assert "Grid management console" in page and "Code" in page and "Log out" in page and "List" in page
    assert "网格化管理控制台" not in page
    page = console.get("/admin/people/").get_data(as_text=True)  # the choice is kept in the session
    assert "People" in page
    page = console.get("/admin/people/?lang=zh").get_data(as_text=True)
    assert "人员" in page and 'href="/admin/people/?lang=en"' in page  # the switcher


def test_every_msgid_has_a_translation():
    catalog = read_catalog("messages.po")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not untranslated


def test_compiled_catalog_matches_the_po():
    po = {m.id: m.string for m in read_catalog("messages.po") if m.id}
    mo = {m.id: m.string for m in read_catalog("messages.mo") if m.id}
    assert mo == po, "run: pybabel compile -d platform/gridgov/translations"


def test_every_console_string_is_in_the_catalog():
    method_map = [("platform/gridgov/console/**.py", "python"), ("platform/gridgov/templates/**.html", "jinja2")]
    found = {message for _, _, message, _, _ in
             extract_from_dir(str(ROOT), method_map, keywords={"_": None, "gettext": None, "_l": None, "lazy_gettext": None})}
    assert found, "nothing extracted"
    missing = found - {m.id for m in read_catalog("messages.po")}
    assert not missing, "run pybabel extract/update (see babel.cfg) and translate: " + ", ".join(sorted(map(str, missing)))
