"""How to cite a release: a line to copy, BibTeX and CSL-JSON."""

import json
import re


def citation_formats(release, url: str) -> dict[str, str]:
    published = release.published
    # The outlet that carried the text, else the institution that issued it; never a guess
    # from the institutions the text names.
    publisher = release.source or (release.issuer.name if release.issuer_id else "")
    date_text = f"{published:%-d %B %Y}." if published else "n.d."
    plain = f"“{_isolated(release.title)}.” " \
            f"{_isolated(publisher) + ', ' if publisher else ''}{date_text} " \
            f"Financial Policy Archive. {url}"
    key = re.sub(r"\W+", "", (publisher or "release").split()[0].lower()) + (
        str(published.year) if published else "") + f"r{release.pk}"
    bib_fields = {
        "title": "{" + _bibtex_escape(release.title) + "}",
        "howpublished": "{Financial Policy Archive}",
        "organization": "{" + _bibtex_escape(publisher) + "}" if publisher else None,
        "year": str(published.year) if published else None,
        "month": str(published.month) if published else None,
        "url": "{" + url + "}",
    }
    bibtex = "@misc{" + key + ",\n" + ",\n".join(
        f"  {name} = {value}" for name, value in bib_fields.items() if value) + "\n}"
    csl = {
        "id": f"release-{release.pk}",
        "type": "article-newspaper" if release.source else "report",
        "title": release.title,
        "container-title": release.source or None,
        "publisher": publisher or None,
        "issued": {"date-parts": [[published.year, published.month, published.day]]}
        if published else None,
        "URL": url,
        "language": release.language,
    }
    return {
        "plain": plain,
        "bibtex": bibtex,
        "csl": json.dumps({k: v for k, v in csl.items() if v}, ensure_ascii=False, indent=2),
    }


def _isolated(text: str) -> str:
    """Text between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: a right-to-left
    override in a title turns only the title around, not the rest of the line, on the
    page and wherever the line is pasted."""
    # The text's own isolate controls go: a lone POP would end the isolate early.
    return "\u2068" + re.sub("[\u2066-\u2069]", "", text) + "\u2069"


# BibTeX counts braces whatever precedes them, so "\}" would close the field early; braces
# and backslashes become commands whose own braces balance.
BIBTEX_ESCAPES = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}",
                  "\\": r"\textbackslash{}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", **{c: "\\" + c for c in "&%$#_"}}


def _bibtex_escape(text: str) -> str:
    return re.sub(r"[{}\\~^&%$#_]", lambda match: BIBTEX_ESCAPES[match.group()], text)
