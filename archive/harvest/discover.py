"""A source's entry point -> the addresses of the articles it lists."""

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from archive.harvest.fetch import FEED_TYPES, HTML_TYPES, Fetcher, is_web_address, normalise

# Feeds and sitemaps come from other sites: no entities expanded, nothing fetched by the
# parser, and a slightly broken file still read.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                             huge_tree=False)
# Namespaces differ (RSS 1.0, Atom, sitemaps 0.9): elements are matched by local name.
FEED_LINKS = ("//*[local-name()='item']/*[local-name()='link']/text()"
              " | //*[local-name()='entry']/*[local-name()='link']"
              "[not(@rel) or @rel='alternate']/@href")
SITEMAP_LINKS = "//*[local-name()='url']/*[local-name()='loc']/text()"
NESTED_SITEMAPS = "//*[local-name()='sitemap']/*[local-name()='loc']/text()"


def article_urls(source, fetcher: Fetcher) -> list[str]:
    """The article addresses `source` lists now, normalised, each once, in the order
    given, kept by the source's URL pattern. Raises FetchError if the entry point cannot be
    fetched."""
    if source.kind == source.Kind.LISTING:
        page = fetcher.get(source.url, accept=HTML_TYPES)
        links = listing_links(page.body, page.url, source.link_selector)
    elif source.kind == source.Kind.SITEMAP:
        page = fetcher.get(source.url, accept=FEED_TYPES)
        links = xml_links(page.body, SITEMAP_LINKS)
        # A sitemap index names sitemaps: one level is followed.
        for nested in xml_links(page.body, NESTED_SITEMAPS):
            links += xml_links(fetcher.get(nested, accept=FEED_TYPES).body, SITEMAP_LINKS)
    else:
        page = fetcher.get(source.url, accept=FEED_TYPES)
        links = [urljoin(page.url, link) for link in xml_links(page.body, FEED_LINKS)]
    pattern = re.compile(source.url_pattern) if source.url_pattern else None
    urls = [normalise(link) for link in links if is_web_address(link)]
    return [url for url in dict.fromkeys(urls) if pattern is None or pattern.search(url)]


def xml_links(body: bytes, xpath: str) -> list[str]:
    root = etree.fromstring(body, parser=XML_PARSER)
    if root is None:
        return []
    return [link.strip() for link in root.xpath(xpath) if link.strip()]


def listing_links(body: bytes, base_url: str, selector: str) -> list[str]:
    """The links of the elements `selector` picks: an <a> itself, or the links inside."""
    root = lxml.html.fromstring(body, base_url=base_url)
    base = (root.xpath("//base/@href") or [base_url])[0]
    links = []
    for element in root.cssselect(selector):
        anchors = [element] if element.tag == "a" else element.cssselect("a[href]")
        links += [urljoin(base, a.get("href").strip()) for a in anchors if a.get("href")]
    return links
