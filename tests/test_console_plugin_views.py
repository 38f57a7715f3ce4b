"""Plugins' own console pages (hook ``gridgov_console_views``): every page a plugin adds is
mounted under the console, asks for a login, and answers 404 to a tenant that does not enable
the plugin — for every bundled plugin's pages, whatever they are."""
from __future__ import annotations

import pytest
from console_support import Console


def plugin_pages(app) -> list[tuple[str, str]]:
    """(plugin name, url) of every page the bundled plugins add; the hook builds fresh views
    with the same urls as the mounted ones."""
    pm = app.extensions["gridgov_pm"]
    pages = []
    for impl in pm.hook.gridgov_console_views.get_hookimpls():
        for view in impl.function() or ():
            url = view.url if view.url.startswith("/") else f"/admin/{view.url}"  # relative to the console
            pages.append((impl.plugin_name, url.rstrip("/") + "/"))
    return pages


def test_the_bundled_plugins_add_pages_and_they_are_mounted(app):
    pages = plugin_pages(app)
    assert ("jinzhou_streets", "/admin/jinzhou-streets-map/") in pages
    mounted = {rule.rule for rule in app.url_map.iter_rules()}
    for _, url in pages:
        assert url in mounted, url


def test_a_plugin_page_asks_for_a_login_and_hides_from_other_tenants(app, client, factory):
    pages = plugin_pages(app)
    assert pages
    other = factory.tenant("plain", name="没有插件的租户")
    factory.user("plain-admin", other, "tenant_admin")
    for _, url in pages:
        anonymous = client.get(url)
        assert anonymous.status_code in (302, 403), url
        if anonymous.status_code == 302:
            assert "/login" in anonymous.headers["Location"], url
    console = Console(client)
    assert console.login("plain-admin", follow_redirects=True).status_code == 200
    for _, url in pages:
        assert console.get(url).status_code in (403, 404), url
