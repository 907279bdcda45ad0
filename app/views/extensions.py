"""What create_app builds once for the whole app, read the same way by every view and
command: views and commands hand these on to business functions as arguments."""
from flask import current_app


def thresholds():
    """The app's Thresholds (HEARD_MIN_GROUP and HEARD_MIN_GROUP_COMMENTS)."""
    return current_app.extensions["heard_thresholds"]


def urls():
    """The app's link builders (app.views.urls.LinkUrls)."""
    return current_app.extensions["heard_urls"]


def mail_settings():
    """The app's mail and reminder settings (app.delivery.settings.DeliverySettings)."""
    return current_app.extensions["heard_delivery"]
