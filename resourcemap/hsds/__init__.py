"""Open Referral HSDS 3.0 for resourcemap: the one mapping of the graph to HSDS objects, and the public directory.

Modules, one job each: :mod:`.mapping` (the builders the file export and the API share, the
UUIDv5 ids, the Japanese profile), :mod:`.directory` (what is public and the API's queries, one
view per read-model revision), :mod:`.params` (the API's query parameters, read once),
:mod:`.spec` (the official API document, as served and as the conformance tests read it). The
HTTP side is ``api/routes/hsds.py``; the file export and import are :mod:`resourcemap.io.hsds`.
"""
