"""``maillage serve``: the console served to browsers behind a login (the CCAS at the town hall).

``server`` is the aiohttp application (textual-serve's terminal page and per-websocket
process, with a login in front), ``throttle`` slows down password guessing, ``pages`` is the
login and terminal HTML. Imported only by ``maillage serve``: the rest of maillage never
loads aiohttp, textual-serve or argon2.
"""
