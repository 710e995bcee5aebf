"""What the local vendor emulators (``zoom_emulator``, ``microsoft_emulator``, ``google_emulator``) share,
module by module:

- ``clock``: the settable, freezable emulated clock
- ``wire``: transport-neutral Request/Response objects and answer helpers (JSON, HTML, redirects)
- ``base``: ``EmulatorBase``: routing and the request pipeline (latency, faults, counting), the JSON state
  file, configure/clock/reset, and the common ``/_emulator`` admin endpoints
- ``faults``: fault rules, picking the rule that fires, and validated config updates
- ``outbox``: queueing, delivering and retrying outgoing webhooks / change notifications
- ``server``: the threaded HTTP server with its background delivery loop
- ``inprocess``: the in-process ``responses`` adapter
- ``browser``: the scripted browser that signs in and answers consent prompts
- ``pages``: sign-in sessions and the HTML pieces both vendors' pages share
- ``oauth``: PKCE and base64url
- ``cli``: ``python -m <emulator>`` plumbing (environment-backed flags, running the server)

Vendor behaviour (routes, error bodies, tokens, limits, page content) stays in each emulator. Like the
emulators, nothing here imports Django or the product (only the stdlib, ``requests`` and ``responses``).
"""
