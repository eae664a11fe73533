"""Harvesting: sources on the web (feeds, sitemaps, listing pages) -> polite fetching ->
WARC -> the import pipeline, one transaction a document, exactly as for files."""
