"""CherryPy side of the drupe load benchmark: the photoblog album REST resource.

A plain, idiomatic CherryPy 18 application in the style of "CherryPy Essentials"
(ch. 6): a MethodDispatcher-mounted services tree at /services/rest whose
``album`` resource answers ``GET /services/rest/album/<id>`` with the album as
JSON. Data lives in memory (20 seeded albums) instead of the book's Dejavu
store, so the benchmark measures the framework, not a database.

Deliberately untuned: default thread pool, default server settings; only the
production environment, no logging and no autoreload, as a deployment would.

Usage: python cherrypy_album.py HOST PORT
"""
import datetime
import sys
import uuid

import cherrypy

DATE_FORMAT = "%d %b. %Y, %H:%M"  # the book's to_dict() date format


def seed_albums(count=20):
    """Build ``count`` albums keyed by integer id, like the book's Album units."""
    base = datetime.datetime(2006, 8, 13, 11, 18)
    albums = {}
    for i in range(1, count + 1):
        created = base + datetime.timedelta(days=i)
        albums[i] = {
            "id": i,
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "album/%d" % i)),
            "title": "Album %d" % i,
            "author": "Sylvain",
            "description": "Photos from trip number %d" % i,
            "content": "A longer text about album %d. " % i * 4,
            "created": created,
            "modified": created + datetime.timedelta(hours=2),
        }
    return albums


ALBUMS = seed_albums()


def to_dict(album):
    """The book's Album.to_dict(): dates rendered as text."""
    d = dict(album)
    d["created"] = album["created"].strftime(DATE_FORMAT)
    d["modified"] = album["modified"].strftime(DATE_FORMAT)
    return d


@cherrypy.expose
class AlbumRESTService(object):
    """Album resource; the MethodDispatcher calls the verb method by name."""

    @cherrypy.tools.accept(media="application/json")
    @cherrypy.tools.json_out()
    def GET(self, id):
        try:
            album = ALBUMS[int(id)]  # the book's Album.fetch(id)
        except (ValueError, KeyError):
            raise cherrypy.NotFound()
        return to_dict(album)


class Rest(object):
    """/services/rest: not a resource itself (answers 404, as in the book)."""

    def __init__(self):
        self.album = AlbumRESTService()


class Services(object):
    """Root of the services application, mounted at /services."""

    def __init__(self):
        self.rest = Rest()


def main(argv):
    host, port = argv[1], int(argv[2])
    cherrypy.config.update({
        "environment": "production",       # no autoreload, no checker, no tracebacks
        "engine.autoreload.on": False,
        "log.screen": False,
        "log.access_file": "",
        "log.error_file": "",
        "server.socket_host": host,
        "server.socket_port": port,
    })
    # Mirror the book's app layout: services app mounted at /services.
    cherrypy.tree.mount(Services(), "/services", {
        "/rest": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()},
    })
    cherrypy.engine.signals.subscribe()  # SIGTERM/SIGINT stop the engine cleanly
    cherrypy.engine.start()
    cherrypy.engine.block()


if __name__ == "__main__":
    main(sys.argv)
