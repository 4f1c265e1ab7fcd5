from core.hookspecs import hookimpl

EVENTS = []


@hookimpl
def on_event(event):
    EVENTS.append(event)
