"""The reach explorer in the browser (``mudump serve``): a FastAPI application
(:mod:`mudump.web.app`) with a JSON API over the library and one page (``static/``) that uses it.
Every script and style sheet is package data (Plotly.js vendored): no internet needed."""
