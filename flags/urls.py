"""Routes of the flags app (dashboard pages, the flags API, OFREP). Filled in by the flags work."""

urlpatterns: list = []
