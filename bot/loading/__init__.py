"""Loading: one file → one ``Document`` of text blocks with metadata, one module per concern.

``document`` holds what a parser gives (``Parsed``: blocks, title, metadata found in the file)
and what loading gives (``Document``, ``Block``) with the text helpers every parser shares;
``text`` parses plain text and Markdown (encodings, front matter, headings found line by line),
``html`` the main content of an HTML page and its ``<meta>`` tags, ``binary`` PDF and DOCX
(pages, styles and document properties, within ``bot.limits``); ``corpus`` picks the parser by
file type, adds a sidecar's metadata, the language and the organisation a document is about,
and lists and hashes the files of a corpus folder.
"""
