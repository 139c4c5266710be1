"""Two of Django admin's template tags, made cheaper:

- ``{% scoped_result_list cl %}``: Django's ``{% result_list cl %}`` (same template, same
  context), with the rows of a ``ScopedChangeList`` rendered by marketflow/admin_rows.py.
- ``{% nav_sidebar %}``: Django's ``{% include "admin/nav_sidebar.html" %}``, remembered.
"""

from django import template
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()


def scoped_result_list(cl):
    rows = cl.result_rows() if hasattr(cl, "result_rows") else None
    if rows is None:
        return admin_list.result_list(cl)
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],  # only a list with editable fields has them
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # A row is one item, its cells already joined: the template writes <tr>item</tr>.
        "results": [admin_list.ResultList(None, [row]) for row in rows],
    }


@register.tag(name="scoped_result_list")
def scoped_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=scoped_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


# -- the navigation sidebar --------------------------------------------------------------------

SIDEBARS_KEPT = 1024
_sidebars: dict[tuple, SafeString] = {}


def _apps_key(apps) -> tuple:
    """What admin/app_list.html shows of the apps (names as shown in the active language)."""
    return tuple(
        (
            app["app_label"],
            str(app["name"]),
            app["app_url"],
            tuple(
                (
                    model["object_name"],
                    str(model["name"]),
                    model.get("admin_url"),
                    model.get("add_url"),
                    model.get("view_only"),
                )
                for model in app["models"]
            ),
        )
        for app in apps
    )


@register.simple_tag(takes_context=True)
def nav_sidebar(context) -> SafeString:
    """The sidebar as Django's template writes it, written once per language, page path and
    list of apps the user may see: the same inputs give the same HTML, and rendering the
    template on every admin page cost most of a millisecond (`make bench`). The list of apps
    is still built for each request, from the user's permissions, as Django does."""
    sidebar = context.template.engine.get_template("admin/nav_sidebar.html")
    request, apps = context.get("request"), context.get("available_apps")
    if request is None or apps is None:  # not a page of the admin site's own: no memory
        return SafeString(sidebar.render(context))
    key = (get_language(), request.path, _apps_key(apps))
    html = _sidebars.get(key)
    if html is None:
        html = SafeString(sidebar.render(context))
        if len(_sidebars) >= SIDEBARS_KEPT:
            _sidebars.clear()
        _sidebars[key] = html
    return html
