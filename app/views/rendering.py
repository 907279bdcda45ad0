"""The one place that decides between a whole page and an htmx fragment."""
from flask import current_app, make_response, render_template
from flask_htmx import make_response as htmx_response


def render(page, fragment, status=200, **context):
    """Render `page`, or just `fragment` (which the page includes) for htmx requests."""
    template = fragment if current_app.htmx else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def fragment_elsewhere(fragment, target, status, **context):
    """An htmx fragment that replaces the element `target` (a CSS selector) instead of
    the request's own target: a form sent with an error comes back in place of itself."""
    response = htmx_response(render_template(fragment, **context), status,
                             retarget=target, reswap="outerHTML")
    response.vary.add("HX-Request")
    return response


def render_with_oob(fragment, oob_html, status=200, **context):
    """A fragment followed by out-of-band HTML that htmx swaps in by id (a fresh form)."""
    response = make_response(render_template(fragment, **context) + (oob_html or ""), status)
    response.vary.add("HX-Request")
    return response
