"""The web app's tabs, one module each, with handlers that are plain functions over the library:
``chat`` (and its ``compare`` mode), ``documents``, ``insights``; ``common`` holds what they
share, ``passages`` and ``render`` turn an answer's sources into the passages ``[n]`` opens,
``conversations`` keeps conversations in the browser. ``bot.web`` lays the tabs out."""
